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
	uint16_t used_idx;	/* our copy of used->idx, published or not */
	/* Host pointers to the rings, resolved once at activation. */
	const uint8_t *desc;
	const uint8_t *avail;
	uint8_t *used;
};

struct virtq_buf {
	uint64_t gpa;
	uint8_t *hva;		/* resolved and range-checked at pop */
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

/* Checks size and ring placement, resolves the rings' host pointers
 * (guest RAM stays mapped while the VM exists) and marks the queue ready. */
int virtq_activate(struct virtq *q, const struct guest_mem *mem, struct err *e);
/* Size of the used ring the device writes (valid once activated). */
uint64_t virtq_used_bytes(const struct virtq *q);
/* Forgets everything (device reset). */
void virtq_reset(struct virtq *q);
/*
 * Takes the next available chain: 1 with *c filled, 0 when none is
 * pending, -1 when the queue is (now) broken, with the reason in *e.
 */
int virtq_pop(struct virtq *q, const struct guest_mem *mem, struct virtq_chain *c,
	      struct err *e);
/* Gives the chain just popped back: the next pop takes it again (re-read
 * and re-checked then). Only right after a pop that returned 1. */
void virtq_unpop(struct virtq *q);
/* Returns chain @head to the driver with @written bytes written, in the
 * used ring but not yet visible: virtq_publish_used makes every chain
 * added so far visible with one index write. */
int virtq_add_used(struct virtq *q, uint16_t head, uint32_t written, struct err *e);
void virtq_publish_used(struct virtq *q);
/* virtq_add_used and virtq_publish_used in one. */
int virtq_push(struct virtq *q, uint16_t head, uint32_t written, struct err *e);

/*
 * Notification suppression (VRING_USED_F_NO_NOTIFY): while a device drains
 * a queue it asks the driver not to notify; virtq_notify_on turns that off
 * again and returns true if buffers arrived meanwhile (drain again then).
 */
void virtq_notify_off(struct virtq *q);
bool virtq_notify_on(struct virtq *q);

/*
 * Device helpers over a popped chain (its buffers were checked and their
 * host pointers resolved at pop: no guest address is looked up again).
 * virtq_iov: host iovecs for the readable (@writable false) or writable
 * buffers, skipping the first @skip bytes of that part and taking at most
 * @max bytes; returns the number of iovecs (<= VIRTQ_MAX_CHAIN).
 * virtq_read/virtq_write: copy bytes at offset @off of the readable or
 * writable part; they return how many bytes were copied.
 */
unsigned int virtq_iov(const struct virtq_chain *c, bool writable, uint64_t skip,
		       uint64_t max, struct iovec *iov);
size_t virtq_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t len);
size_t virtq_write(const struct virtq_chain *c, uint64_t off, const void *src, size_t len);

#endif
