/* SPDX-License-Identifier: MIT */
#ifndef TPTVMM_VIRTQ_H
#define TPTVMM_VIRTQ_H

/*
 * Split virtqueues (virtio 1.x) over guest memory, written for a hostile
 * driver: every index, address and length the guest supplies is checked
 * before use, each descriptor is copied out of guest memory exactly once,
 * and any protocol violation marks the queue broken (the transport then
 * sets DEVICE_NEEDS_RESET) instead of touching memory it should not.
 */
#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "err.h"
#include "guest_mem.h"

#define VIRTQ_MAX_SIZE		256	/* largest queue a device offers */
#define VIRTQ_MAX_CHAIN		VIRTQ_MAX_SIZE	/* buffers per request, indirect included */


struct virtq {
	uint16_t size;		/* set by the driver; power of two <= max */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool ready;		/* layout checked, in use */
	bool broken;		/* a violation was seen: no more processing */
	uint16_t last_avail;	/* next avail ring slot to consume */
	uint16_t used_idx;	/* our copy of used->idx */
};

struct virtq_buf {
	uint64_t gpa;
	uint32_t len;
	bool device_writes;	/* VRING_DESC_F_WRITE */
};

struct virtq_chain {
	uint16_t head;
	unsigned int n;			/* buffers, readable ones first */
	unsigned int n_readable;
	uint64_t readable_len, writable_len;
	struct virtq_buf buf[VIRTQ_MAX_CHAIN];
};

/* Checks size and ring placement and marks the queue ready. */
int virtq_activate(struct virtq *q, const struct guest_mem *mem, struct err *e);
/* Forgets everything (device reset). */
void virtq_reset(struct virtq *q);
/*
 * Takes the next available chain: 1 with *c filled, 0 when none is
 * pending, -1 when the queue is (now) broken, with the reason in *e.
 */
int virtq_pop(struct virtq *q, const struct guest_mem *mem, struct virtq_chain *c,
	      struct err *e);
/* Returns chain @head to the driver with @written bytes written. */
int virtq_push(struct virtq *q, const struct guest_mem *mem, uint16_t head,
	       uint32_t written, struct err *e);

/*
 * Notification suppression (VRING_USED_F_NO_NOTIFY): while a device drains
 * a queue it asks the driver not to notify; virtq_notify_on turns that off
 * again and returns true if buffers arrived meanwhile (drain again then).
 */
void virtq_notify_off(struct virtq *q, const struct guest_mem *mem);
bool virtq_notify_on(struct virtq *q, const struct guest_mem *mem);

/*
 * Device helpers over a popped chain (its buffers were checked at pop).
 * virtq_iov: host iovecs for the readable (@writable false) or writable
 * buffers, skipping the first @skip bytes of that part and taking at most
 * @max bytes; returns the number of iovecs (<= VIRTQ_MAX_CHAIN).
 * virtq_read/virtq_write: copy bytes at offset @off of the readable or
 * writable part; they return how many bytes were copied.
 */
unsigned int virtq_iov(const struct guest_mem *mem, const struct virtq_chain *c,
		       bool writable, uint64_t skip, uint64_t max, struct iovec *iov);
size_t virtq_read(const struct guest_mem *mem, const struct virtq_chain *c,
		  uint64_t off, void *dst, size_t len);
size_t virtq_write(const struct guest_mem *mem, const struct virtq_chain *c,
		   uint64_t off, const void *src, size_t len);

#endif
