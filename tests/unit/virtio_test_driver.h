/* SPDX-License-Identifier: MIT */
/*
 * A small virtio driver over fake guest memory for the device unit tests
 * (test_virtio_blk.c, test_virtio_net.c, test_virtio_rng.c): sets queues
 * up through the virtio-mmio registers, adds chains, notifies and reads
 * the used ring, the way a guest's driver would.
 */
#ifndef TPT_TESTS_VIRTIO_TEST_DRIVER_H
#define TPT_TESTS_VIRTIO_TEST_DRIVER_H

#include <check.h>
#include <endian.h>
#include <string.h>

#include "../virtio_driver.h"
#include "guest_mem.h"
#include "virtio_mmio.h"

#define QSIZE		16
#define RING_GPA	0x100000ULL	/* desc, avail at +0x1000, used at +0x2000 */
#define DATA_GPA	0x200000ULL

static struct guest_mem mem;

/* A driver for one queue: writes descriptors, publishes them, reads used. */
struct drv {
	struct virtio_mmio *t;
	uint64_t ring;
	uint16_t avail_idx, next_desc, used_seen;
};

struct seg {
	uint64_t gpa;
	uint32_t len;
	int write;
};

static inline void wr(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	virtio_mmio_write(t, off, &v, 4);
}

static inline uint32_t rd(struct virtio_mmio *t, uint64_t off)
{
	uint32_t v;

	virtio_mmio_read(t, off, &v, 4);
	return v;
}

static inline void mem_setup(void)
{
	struct guest_mem_opts o = { 0 };
	struct err e;

	ck_assert_int_eq(guest_mem_alloc(&mem, 64ULL << 20, &o, &e), 0);
}

static inline void mem_teardown(void)
{
	guest_mem_free(&mem);
}

/* Negotiates and sets up queues 0..nq-1, each with its rings at ring + q * 0x4000. */
static inline void drv_start(struct drv *d, struct virtio_mmio *t, unsigned int nq)
{
	vdrv_negotiate(t);
	ck_assert_uint_eq(rd(t, VIRTIO_MMIO_STATUS), 11);
	for (unsigned int q = 0; q < nq; q++) {
		uint64_t r = RING_GPA + 0x4000ULL * q;

		memset(guest_ptr(&mem, r, 0x3000), 0, 0x3000);
		vdrv_queue(t, q, QSIZE, (uint32_t)r);
		ck_assert_uint_eq(rd(t, VIRTIO_MMIO_QUEUE_READY), 1);
		memset(&d[q], 0, sizeof(d[q]));
		d[q].t = t;
		d[q].ring = r;
	}
	vdrv_driver_ok(t);
	ck_assert_uint_eq(rd(t, VIRTIO_MMIO_STATUS), 15);
}

static inline void put16(uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	ck_assert_int_eq(guest_write(&mem, gpa, &v, 2), 0);
}

static inline uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	ck_assert_int_eq(guest_read(&mem, gpa, &v, 4), 0);
	return le32toh(v);
}

/* Writes one chain of n segments and publishes it (no notify). */
static inline uint16_t drv_add(struct drv *d, const struct seg *s, unsigned int n)
{
	uint16_t head = d->next_desc;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % QSIZE);
		uint8_t desc[16];
		uint64_t a = htole64(s[i].gpa);
		uint32_t l = htole32(s[i].len);
		uint16_t f = htole16((uint16_t)((i + 1 < n ? 1 : 0) | (s[i].write ? 2 : 0)));
		uint16_t nx = htole16((uint16_t)((idx + 1) % QSIZE));

		memcpy(desc, &a, 8);
		memcpy(desc + 8, &l, 4);
		memcpy(desc + 12, &f, 2);
		memcpy(desc + 14, &nx, 2);
		ck_assert_int_eq(guest_write(&mem, d->ring + 16ULL * idx, desc, 16), 0);
	}
	d->next_desc = (uint16_t)((head + n) % QSIZE);
	put16(d->ring + 0x1000 + 4 + 2ULL * (d->avail_idx % QSIZE), head);
	d->avail_idx++;
	put16(d->ring + 0x1000 + 2, d->avail_idx);
	return head;
}

static inline void drv_notify(struct drv *d, unsigned int q)
{
	wr(d->t, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

/* The used length of the next used element; fails if there is none. */
static inline uint32_t drv_used(struct drv *d, uint16_t want_head)
{
	uint16_t idx;

	ck_assert_int_eq(guest_read(&mem, d->ring + 0x2000 + 2, &idx, 2), 0);
	ck_assert_msg(le16toh(idx) != d->used_seen, "no used element");
	ck_assert_uint_eq(get32(d->ring + 0x2000 + 4 + 8ULL * (d->used_seen % QSIZE)), want_head);
	return get32(d->ring + 0x2000 + 8 + 8ULL * (d->used_seen++ % QSIZE));
}

static inline uint16_t used_idx(const struct drv *d)
{
	uint16_t idx;

	ck_assert_int_eq(guest_read(&mem, d->ring + 0x2000 + 2, &idx, 2), 0);
	return le16toh(idx);
}

#endif
