/* SPDX-License-Identifier: MIT */
#include "virtq.h"

#include <endian.h>
#include <inttypes.h>
#include <string.h>

/* struct vring_desc, vring_avail, vring_used: <linux/virtio_ring.h>. */
_Static_assert(sizeof(struct vring_desc) == 16, "virtio descriptor is 16 bytes");

/* Marks the queue broken and returns -1 with the reason in *e. */
#define FAIL(q, e, ...) ((q)->broken = true, err_set((e), __VA_ARGS__))

static uint64_t desc_bytes(const struct virtq *q)
{
	return sizeof(struct vring_desc) * (uint64_t)q->size;
}

static uint64_t avail_bytes(const struct virtq *q)
{
	return sizeof(struct vring_avail) + 2ULL * q->size + 2;	/* + ring[], used_event */
}

static uint64_t used_bytes(const struct virtq *q)
{
	return sizeof(struct vring_used) + sizeof(struct vring_used_elem) * (uint64_t)q->size +
	       2;	/* + ring[], avail_event */
}

uint64_t virtq_used_bytes(const struct virtq *q)
{
	return used_bytes(q);
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

int virtq_activate(struct virtq *q, const struct guest_mem *mem, struct err *e)
{
	if (q->size == 0 || q->size > VIRTQ_MAX_SIZE || (q->size & (q->size - 1)))
		return FAIL(q, e, "queue size %u is not a power of two <= %u",
			    q->size, VIRTQ_MAX_SIZE);
	if (q->desc_gpa % 16 || q->avail_gpa % 2 || q->used_gpa % 4)
		return FAIL(q, e, "misaligned rings (desc 0x%" PRIx64 ", avail 0x%" PRIx64 ", used 0x%" PRIx64 ")",
			    q->desc_gpa, q->avail_gpa, q->used_gpa);
	q->desc = guest_ptr(mem, q->desc_gpa, desc_bytes(q));
	q->avail = guest_ptr(mem, q->avail_gpa, avail_bytes(q));
	q->used = guest_ptr(mem, q->used_gpa, used_bytes(q));
	if (!q->desc || !q->avail || !q->used)
		return FAIL(q, e, "rings outside guest RAM (desc 0x%" PRIx64 ", avail 0x%" PRIx64 ", used 0x%" PRIx64 ")",
			    q->desc_gpa, q->avail_gpa, q->used_gpa);
	q->ready = true;
	q->broken = false;
	q->last_avail = 0;
	q->used_idx = 0;
	return 0;
}

static uint16_t load16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

/* One descriptor, copied out of guest memory once. */
static void read_desc(const uint8_t *table, unsigned int i, struct vring_desc *d)
{
	memcpy(d, table + 16ULL * i, sizeof(*d));
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

static int add_buf(struct virtq *q, const struct guest_mem *mem, struct virtq_chain *c,
		   const struct vring_desc *d, struct err *e)
{
	bool w = d->flags & VRING_DESC_F_WRITE;
	uint8_t *hva;

	if (c->n >= VIRTQ_MAX_CHAIN)
		return FAIL(q, e, "chain from head %u longer than %u buffers",
			    c->head, VIRTQ_MAX_CHAIN);
	if (d->len == 0)
		return FAIL(q, e, "zero-length buffer at 0x%" PRIx64 " in chain %u", (uint64_t)d->addr, c->head);
	/* guest_ptr rejects overflow and ranges that leave a RAM region. */
	hva = guest_ptr(mem, d->addr, d->len);
	if (!hva)
		return FAIL(q, e, "buffer [0x%" PRIx64 ", +%u) is not guest RAM", (uint64_t)d->addr, d->len);
	if (!w && c->n > c->n_readable)
		return FAIL(q, e, "readable buffer after a writable one in chain %u (0x%" PRIx64 ")",
			    c->head, (uint64_t)d->addr);
	c->buf[c->n].gpa = d->addr;
	c->buf[c->n].hva = hva;
	c->buf[c->n].len = d->len;
	c->buf[c->n].device_writes = w;
	c->n++;
	if (w)
		c->writable_len += d->len;
	else {
		c->n_readable++;
		c->readable_len += d->len;
	}
	return 0;
}

static int walk_indirect(struct virtq *q, const struct guest_mem *mem, struct virtq_chain *c,
			 const struct vring_desc *ind, struct err *e)
{
	unsigned int count = ind->len / 16, i = 0, steps = 0;
	const uint8_t *table;

	if (ind->len == 0 || ind->len % 16 || count > VIRTQ_MAX_CHAIN)
		return FAIL(q, e, "indirect table of %u bytes in chain %u", ind->len, c->head);
	if (ind->flags & VRING_DESC_F_NEXT)
		return FAIL(q, e, "indirect descriptor with NEXT in chain %u (0x%" PRIx64 ")",
			    c->head, (uint64_t)ind->addr);
	table = guest_ptr(mem, ind->addr, ind->len);
	if (!table)
		return FAIL(q, e, "indirect table [0x%" PRIx64 ", +%u) is not guest RAM",
			    (uint64_t)ind->addr, ind->len);
	for (;;) {
		struct vring_desc d;

		if (++steps > count)
			return FAIL(q, e, "indirect chain %u loops (%u entries)", c->head, count);
		read_desc(table, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return FAIL(q, e, "nested indirect table in chain %u (0x%" PRIx64 ")",
				    c->head, (uint64_t)d.addr);
		if (add_buf(q, mem, c, &d, e))
			return -1;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= count)
			return FAIL(q, e, "indirect next %u past the table's %u entries",
				    d.next, count);
		i = d.next;
	}
}

int virtq_pop(struct virtq *q, const struct guest_mem *mem, struct virtq_chain *c,
	      struct err *e)
{
	const uint8_t *avail = q->avail, *table = q->desc;
	uint16_t idx, head, i;
	unsigned int steps = 0;

	if (!q->ready || q->broken) {
		if (q->broken)
			err_set(e, "queue is broken");
		return q->broken ? -1 : 0;
	}
	/* Rings checked at activation; the layout cannot change while ready. */
	idx = load16(avail + 2);
	if ((uint16_t)(idx - q->last_avail) > q->size)
		return FAIL(q, e, "avail index jumped by %u on a queue of %u",
			    (uint16_t)(idx - q->last_avail), q->size);
	if (idx == q->last_avail)
		return 0;
	/* Read the ring entry only after seeing the index that covers it. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	head = load16(avail + 4 + 2ULL * (q->last_avail % q->size));
	if (head >= q->size)
		return FAIL(q, e, "avail head %u >= queue size %u", head, q->size);
	memset(c, 0, sizeof(*c) - sizeof(c->buf));
	c->head = head;
	q->last_avail++;
	for (i = head;;) {
		struct vring_desc d;

		if (++steps > q->size)
			return FAIL(q, e, "chain from head %u loops (over %u descriptors)",
				    head, q->size);
		read_desc(table, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (walk_indirect(q, mem, c, &d, e))
				return -1;
			return 1;
		}
		if (add_buf(q, mem, c, &d, e))
			return -1;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 1;
		if (d.next >= q->size)
			return FAIL(q, e, "next %u >= queue size %u", d.next, q->size);
		i = d.next;
	}
}

void virtq_unpop(struct virtq *q)
{
	q->last_avail--;
}

int virtq_add_used(struct virtq *q, uint16_t head, uint32_t written, struct err *e)
{
	uint32_t elem[2];

	if (!q->ready || q->broken)
		return err_set(e, "push on a queue that is not ready");
	if (head >= q->size)
		return FAIL(q, e, "push of head %u >= queue size %u", head, q->size);
	elem[0] = htole32(head);
	elem[1] = htole32(written);
	memcpy(q->used + 4 + 8ULL * (q->used_idx % q->size), elem, sizeof(elem));
	q->used_idx++;
	return 0;
}

void virtq_publish_used(struct virtq *q)
{
	uint16_t idx = htole16(q->used_idx);

	if (!q->ready || q->broken)
		return;
	/* The elements must be visible before the index that publishes them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(q->used + 2, &idx, 2);
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t written, struct err *e)
{
	if (virtq_add_used(q, head, written, e))
		return -1;
	virtq_publish_used(q);
	return 0;
}

static void set_used_flags(struct virtq *q, uint16_t flags)
{
	if (!q->ready || q->broken)
		return;
	flags = htole16(flags);
	memcpy(q->used, &flags, 2);
}

void virtq_notify_off(struct virtq *q)
{
	set_used_flags(q, VRING_USED_F_NO_NOTIFY);
}

bool virtq_notify_on(struct virtq *q)
{
	set_used_flags(q, 0);
	if (!q->ready || q->broken)
		return false;
	/* The flag must be visible before we look at the index again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(q->avail + 2) != q->last_avail;
}

unsigned int virtq_iov(const struct virtq_chain *c, bool writable, uint64_t skip,
		       uint64_t max, struct iovec *iov)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->n && max; i++) {
		const struct virtq_buf *b = &c->buf[i];
		uint64_t len = b->len;

		if (b->device_writes != writable)
			continue;
		if (skip >= len) {
			skip -= len;
			continue;
		}
		len -= skip;
		if (len > max)
			len = max;
		iov[n].iov_base = b->hva + skip;
		iov[n].iov_len = (size_t)len;
		n++;
		max -= len;
		skip = 0;
	}
	return n;
}

static size_t copy_chain(const struct virtq_chain *c, bool writable, uint64_t off,
			 uint8_t *p, size_t len)
{
	struct iovec iov[VIRTQ_MAX_CHAIN];
	unsigned int n = virtq_iov(c, writable, off, len, iov);
	size_t done = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (writable)
			memcpy(iov[i].iov_base, p + done, iov[i].iov_len);
		else
			memcpy(p + done, iov[i].iov_base, iov[i].iov_len);
		done += iov[i].iov_len;
	}
	return done;
}

size_t virtq_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t len)
{
	return copy_chain(c, false, off, dst, len);
}

size_t virtq_write(const struct virtq_chain *c, uint64_t off, const void *src, size_t len)
{
	return copy_chain(c, true, off, (uint8_t *)(uintptr_t)src, len);
}
