/* SPDX-License-Identifier: MIT */
#include "virtio_mmio.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util.h"


#define MAGIC_VIRT	0x74726976	/* "virt" */
#define VENDOR_TPT	0x00545054	/* "TPT" */

int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_dev_ops *ops, void *dev,
		     const struct guest_mem *mem, struct err *e)
{
	if (ops->num_queues > VIRTIO_MMIO_MAX_QUEUES || ops->queue_max > VIRTQ_MAX_SIZE ||
	    ops->config_len > VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG)
		return err_set(e, "virtio-mmio: device %u asks for %u queues of %u, %u config bytes (at most %u of %u, %u)",
			       ops->device_id, ops->num_queues, ops->queue_max, ops->config_len,
			       VIRTIO_MMIO_MAX_QUEUES, VIRTQ_MAX_SIZE,
			       (unsigned int)(VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG));
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->ops = ops;
	t->dev = dev;
	t->mem = mem;
	t->irq_fd = -1;
	for (unsigned int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		t->kick_fd[i] = -1;
	return 0;
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	pthread_mutex_destroy(&t->lock);
}

static uint64_t device_features(const struct virtio_mmio *t)
{
	return t->ops->features | VIRTIO_BIT(VIRTIO_F_VERSION_1);
}

static void set_int_locked(struct virtio_mmio *t, uint32_t bits, int *level)
{
	uint32_t old = t->int_status;

	t->int_status |= bits;
	if (!old && t->int_status)
		*level = 1;
}

/* Sets DEVICE_NEEDS_RESET and the config interrupt; the first reason
 * the device ever had is kept and printed, later ones only counted. */
static void needs_reset_locked(struct virtio_mmio *t, const char *reason, int *level)
{
	if (!(t->status & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		t->needs_reset++;
		if (!t->needs_reset_reason[0]) {
			snprintf(t->needs_reset_reason, sizeof(t->needs_reset_reason),
				 "%s", reason[0] ? reason : "unknown");
			if (t->log)
				fprintf(t->log, "tptvmm: %s: device needs reset: %s\n",
					t->name[0] ? t->name : "virtio device",
					t->needs_reset_reason);
		}
	}
	t->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	set_int_locked(t, VIRTIO_MMIO_INT_CONFIG, level);
}

/* The used ring of queue @q is no longer written: its announcement ends. */
static void end_used_write(struct virtio_mmio *t, unsigned int q)
{
	if (t->used_write_id[q] && t->mem->announce.end)
		t->mem->announce.end(t->mem->announce.ctx, t->used_write_id[q]);
	t->used_write_id[q] = 0;
}

static void reset_locked(struct virtio_mmio *t)
{
	t->epoch++;
	t->status = 0;
	t->dev_feat_sel = t->drv_feat_sel = 0;
	t->driver_features = 0;
	t->queue_sel = 0;
	t->int_status = 0;
	for (unsigned int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		virtq_reset(&t->vq[i]);
		end_used_write(t, i);
	}
}

/* Announcements per chain: its buffers, split where one is very long. */
#define ANNOUNCE_MAX		(VIRTQ_MAX_CHAIN + 64)
/* Longest range one announcement may cover (KVM takes 4096 frames). */
#define ANNOUNCE_SPAN		(4095ULL << 12)

/*
 * Every device write into guest memory is announced first where the VMM
 * has an announcer (TPT verify mode: KVM refuses one into a checked page
 * table, docs/tpt-abi.md). The writable buffers of chain @c: 0 with their
 * ids in @ids (*@n of them), or -errno with none announced.
 */
static int announce_chain(struct virtio_mmio *t, const struct virtq_chain *c,
			  uint32_t *ids, unsigned int *n)
{
	const struct guest_write_announcer *a = &t->mem->announce;
	int r = 0;

	*n = 0;
	if (!a->begin)
		return 0;
	for (unsigned int i = c->n_readable; i < c->n && !r; i++) {
		uint64_t gpa = c->buf[i].gpa, left = c->buf[i].len;

		while (left && !r) {
			uint64_t part = left < ANNOUNCE_SPAN ? left : ANNOUNCE_SPAN;

			if (*n == ANNOUNCE_MAX)
				r = -E2BIG;
			else
				r = a->begin(a->ctx, gpa, part, &ids[*n]);
			if (!r)
				(*n)++;
			gpa += part;
			left -= part;
		}
	}
	if (r)
		while (*n)
			a->end(a->ctx, ids[--*n]);
	return r;
}

static void end_chain(struct virtio_mmio *t, const uint32_t *ids, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		t->mem->announce.end(t->mem->announce.ctx, ids[i]);
}

static struct virtq *selected(struct virtio_mmio *t)
{
	return t->queue_sel < t->ops->num_queues ? &t->vq[t->queue_sel] : NULL;
}

/* Queue registers may change only while the driver is setting up. */
static bool queue_writable(struct virtio_mmio *t, struct virtq *q)
{
	return q && !q->ready && (t->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	       !(t->status & VIRTIO_CONFIG_S_DRIVER_OK);
}

static uint32_t read_reg_locked(struct virtio_mmio *t, uint64_t off)
{
	struct virtq *q = selected(t);
	uint64_t f;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return MAGIC_VIRT;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VENDOR_TPT;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		f = device_features(t);
		return t->dev_feat_sel == 0 ? (uint32_t)f :
		       t->dev_feat_sel == 1 ? (uint32_t)(f >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? t->ops->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return t->int_status;
	case VIRTIO_MMIO_STATUS:
		return t->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return t->config_generation;
	default:
		return 0;	/* write-only or unknown: reads as zero */
	}
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
	if (high)
		*v = (*v & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*v = (*v & ~0xffffffffULL) | val;
}

/* Returns the queue to notify, or -1. *level: new interrupt line, or -1. */
static int write_reg_locked(struct virtio_mmio *t, uint64_t off, uint32_t val, int *level)
{
	struct virtq *q = selected(t);
	struct err e;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->dev_feat_sel = val;
		return -1;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->drv_feat_sel = val;
		return -1;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (t->status & VIRTIO_CONFIG_S_FEATURES_OK || t->drv_feat_sel > 1)
			break;
		set_half(&t->driver_features, t->drv_feat_sel == 1, val);
		return -1;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = val;
		return -1;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (!queue_writable(t, q) || val > t->ops->queue_max)
			break;
		q->size = (uint16_t)val;
		return -1;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (!queue_writable(t, q))
			break;
		set_half(&q->desc_gpa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		return -1;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (!queue_writable(t, q))
			break;
		set_half(&q->avail_gpa, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, val);
		return -1;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (!queue_writable(t, q))
			break;
		set_half(&q->used_gpa, off == VIRTIO_MMIO_QUEUE_USED_HIGH, val);
		return -1;
	case VIRTIO_MMIO_QUEUE_READY:
		if (val != 1 || !queue_writable(t, q))
			break;
		if (virtq_activate(q, t->mem, &e)) {
			err_prepend(&e, "queue %u: ", t->queue_sel);
			needs_reset_locked(t, e.msg, level);
		} else if (t->mem->announce.begin &&
			   t->mem->announce.begin(t->mem->announce.ctx, q->used_gpa,
						  virtq_used_bytes(q),
						  &t->used_write_id[t->queue_sel])) {
			/* The used ring is written for as long as the queue runs. */
			t->used_write_id[t->queue_sel] = 0;
			t->refused_requests++;
			virtq_reset(q);
			err_set(&e, "queue %u: the host refused writes to its used ring at 0x%llx (a checked page table?)",
				t->queue_sel, (unsigned long long)q->used_gpa);
			needs_reset_locked(t, e.msg, level);
		}
		return -1;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		if (val < t->ops->num_queues && (t->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
		    t->vq[val].ready && !t->vq[val].broken)
			return (int)val;
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		if (t->int_status && !(t->int_status &= ~val))
			*level = 0;
		return -1;
	case VIRTIO_MMIO_STATUS:
		if (val == 0) {
			uint32_t had = t->int_status;

			reset_locked(t);
			if (had)
				*level = 0;
			return -2;	/* tell the device after unlocking */
		}
		/* Bits are only ever added, never taken back (except by reset). */
		if ((val & t->status) != t->status)
			break;
		if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !(t->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
		    ((t->driver_features & ~device_features(t)) ||
		     !(t->driver_features & VIRTIO_BIT(VIRTIO_F_VERSION_1))))
			val &= ~(uint32_t)VIRTIO_CONFIG_S_FEATURES_OK;	/* driver re-reads it */
		if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(val & VIRTIO_CONFIG_S_FEATURES_OK))
			break;
		t->status = val;
		return -1;
	}
	t->refused_writes++;
	return -1;
}

/* Drives the interrupt line: a rising edge pulses the irqfd. */
static void set_line(struct virtio_mmio *t, int level)
{
	if (level < 0)
		return;
	if (level) {
		__atomic_fetch_add(&t->interrupts, 1, __ATOMIC_RELAXED);
		if (t->irq_fd >= 0)
			eventfd_signal(t->irq_fd);
	}
	if (t->ops->irq)
		t->ops->irq(t->dev, level);
}

static void kick(struct virtio_mmio *t, unsigned int q)
{
	if (t->kick_fd[q] >= 0)
		eventfd_signal(t->kick_fd[q]);
	else
		virtio_mmio_notify(t, q);
}

void virtio_mmio_notify(struct virtio_mmio *t, unsigned int q)
{
	if (q >= t->ops->num_queues)
		return;
	if (t->ops->notify)
		t->ops->notify(t->dev, t, q);
	else
		virtio_mmio_drain(t, q);
}

void virtio_mmio_read(struct virtio_mmio *t, uint64_t off, void *data, unsigned int size)
{
	uint32_t v;

	memset(data, 0, size);
	pthread_mutex_lock(&t->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t c = off - VIRTIO_MMIO_CONFIG;

		if (size <= 8 && c < t->ops->config_len && size <= t->ops->config_len - c &&
		    t->ops->config_read)
			t->ops->config_read(t->dev, (uint32_t)c, data, size);
	} else if (size == 4 && off % 4 == 0) {
		v = read_reg_locked(t, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&t->lock);
}

void virtio_mmio_write(struct virtio_mmio *t, uint64_t off, const void *data, unsigned int size)
{
	int notify = -1, level = -1;
	uint32_t v;

	pthread_mutex_lock(&t->lock);
	if (off >= VIRTIO_MMIO_CONFIG || size != 4 || off % 4) {
		t->refused_writes++;	/* config is read-only here; registers are 32-bit */
	} else {
		memcpy(&v, data, 4);
		notify = write_reg_locked(t, off, v, &level);
	}
	pthread_mutex_unlock(&t->lock);
	set_line(t, level);
	if (notify == -2 && t->ops->reset)
		t->ops->reset(t->dev);
	else if (notify >= 0)
		kick(t, (unsigned int)notify);
}


struct completion {
	uint16_t head;
	uint32_t written;
};

/* Completes @n chains of queue @q and publishes them with one index write. */
static void complete_locked(struct virtio_mmio *t, struct virtq *vq,
			    const struct completion *done, unsigned int n, int *level)
{
	struct err e;

	if (!n)
		return;
	for (unsigned int i = 0; i < n; i++)
		if (virtq_add_used(vq, done[i].head, done[i].written, &e))
			return;	/* cannot happen: heads came from pop */
	virtq_publish_used(vq);
	set_int_locked(t, VIRTIO_MMIO_INT_VRING, level);
}

/* The device state the drain started in is still the one the driver runs. */
static bool current_locked(const struct virtio_mmio *t, uint32_t epoch)
{
	return epoch == t->epoch && (t->status & VIRTIO_CONFIG_S_DRIVER_OK);
}

enum virtio_drain virtio_mmio_drain(struct virtio_mmio *t, unsigned int q)
{
	static _Thread_local struct virtq_chain c;	/* 6 KiB: off the stack */
	static _Thread_local uint32_t ids[ANNOUNCE_MAX];
	unsigned int nids;
	bool served;
	struct completion done[VIRTIO_DRAIN_BATCH];
	enum virtio_drain why;
	struct virtq *vq;
	unsigned int n = 0;
	uint32_t epoch, written;
	int level = -1;

	if (q >= t->ops->num_queues || !t->ops->serve)
		return VIRTIO_DRAIN_STOPPED;
	vq = &t->vq[q];
	pthread_mutex_lock(&t->lock);
	epoch = t->epoch;
	if (!current_locked(t, epoch)) {
		pthread_mutex_unlock(&t->lock);
		return VIRTIO_DRAIN_STOPPED;
	}
	virtq_notify_off(vq);
	for (;;) {
		struct err pe = { { 0 } };
		int r;

		/* Here the lock is held. */
		if (!current_locked(t, epoch)) {
			why = VIRTIO_DRAIN_STOPPED;	/* reset meanwhile: drop the batch */
			break;
		}
		if (n == VIRTIO_DRAIN_BATCH) {
			complete_locked(t, vq, done, n, &level);
			n = 0;
		}
		r = virtq_pop(vq, t->mem, &c, &pe);
		if (r < 0) {
			err_prepend(&pe, "queue %u: ", q);
			t->broken_requests++;
			needs_reset_locked(t, pe.msg, &level);
			why = VIRTIO_DRAIN_STOPPED;
			break;
		}
		if (r == 0) {
			/* Notifications on again; drain on if chains came meanwhile. */
			if (virtq_notify_on(vq)) {
				virtq_notify_off(vq);
				continue;
			}
			complete_locked(t, vq, done, n, &level);
			why = VIRTIO_DRAIN_EMPTY;
			break;
		}
		pthread_mutex_unlock(&t->lock);
		written = 0;
		r = announce_chain(t, &c, ids, &nids);
		if (r) {
			/*
			 * Not served and nothing written: a device write the
			 * host refused (a checked page table) leaves the device
			 * needing a reset, never a request that looks done.
			 */
			pthread_mutex_lock(&t->lock);
			t->refused_requests++;
			/* Not into a device the driver has reset meanwhile. */
			if (current_locked(t, epoch)) {
				snprintf(pe.msg, sizeof(pe.msg),
					 "queue %u: the host refused a device write into the chain at head %u (%s)",
					 q, c.head, r == -EPERM ? "a checked page table" : strerror(-r));
				complete_locked(t, vq, done, n, &level);
				needs_reset_locked(t, pe.msg, &level);
			}
			why = VIRTIO_DRAIN_STOPPED;
			break;
		}
		served = t->ops->serve(t->dev, q, &c, &written);
		end_chain(t, ids, nids);
		if (served) {
			pthread_mutex_lock(&t->lock);
			done[n].head = c.head;
			done[n].written = written;
			n++;
			continue;
		}
		pthread_mutex_lock(&t->lock);
		if (current_locked(t, epoch)) {
			virtq_unpop(vq);
			virtq_notify_on(vq);
			complete_locked(t, vq, done, n, &level);
		}
		why = VIRTIO_DRAIN_LATER;
		break;
	}
	pthread_mutex_unlock(&t->lock);
	set_line(t, level);
	return why;
}

uint64_t virtio_mmio_driver_features(struct virtio_mmio *t)
{
	uint64_t f = 0;

	pthread_mutex_lock(&t->lock);
	if (t->status & VIRTIO_CONFIG_S_DRIVER_OK)
		f = t->driver_features;
	pthread_mutex_unlock(&t->lock);
	return f;
}

/* The line is signalled outside the lock. */
void virtio_mmio_signal_used(struct virtio_mmio *t)
{
	int level = -1;

	pthread_mutex_lock(&t->lock);
	set_int_locked(t, VIRTIO_MMIO_INT_VRING, &level);
	pthread_mutex_unlock(&t->lock);
	set_line(t, level);
}

/* Only while the driver runs the device. */
void virtio_mmio_needs_reset(struct virtio_mmio *t, const char *reason)
{
	int level = -1;

	pthread_mutex_lock(&t->lock);
	if (t->status & VIRTIO_CONFIG_S_DRIVER_OK)
		needs_reset_locked(t, reason, &level);
	pthread_mutex_unlock(&t->lock);
	set_line(t, level);
}
