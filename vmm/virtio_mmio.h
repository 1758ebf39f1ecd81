/* SPDX-License-Identifier: MIT */
#ifndef TPTVMM_VIRTIO_MMIO_H
#define TPTVMM_VIRTIO_MMIO_H

/*
 * virtio-mmio transport (version 2, virtio 1.x), the register model only:
 * a device supplies its ID, features, queues and config space through
 * struct virtio_dev_ops. Every guest write is checked against the device
 * state: queue registers only between FEATURES_OK and DRIVER_OK and while
 * the queue is not ready, features only before FEATURES_OK, registers only
 * with 32-bit accesses. Refused writes are ignored and counted; a queue
 * the driver sets up badly makes the device DEVICE_NEEDS_RESET. Every time
 * NEEDS_RESET is set is counted; the first reason is kept and printed once
 * on t->log.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "guest_mem.h"
#include "virtq.h"

#define VIRTIO_MMIO_SIZE	0x200
#define VIRTIO_MMIO_MAX_QUEUES	8

/* A feature mask from a feature bit number (the uapi headers give numbers). */
#define VIRTIO_BIT(nr)		(1ULL << (nr))

struct virtio_mmio;

struct virtio_dev_ops {
	uint32_t device_id;
	uint64_t features;		/* a mask; bit VIRTIO_F_VERSION_1 is added */
	unsigned int num_queues;	/* <= VIRTIO_MMIO_MAX_QUEUES */
	uint16_t queue_max;		/* <= VIRTQ_MAX_SIZE */
	uint32_t config_len;		/* <= VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG */
	/* Copies config bytes [off, off + len) into out (len <= 8, in range). */
	void (*config_read)(void *dev, uint32_t off, void *out, uint32_t len);
	/*
	 * Serves chain @c of queue @q: sets *written (bytes written into its
	 * writable buffers) and returns true, or returns false to leave @c
	 * and the rest of the queue for a later drain (a receive queue with
	 * nothing to receive yet). Called by virtio_mmio_drain on the thread
	 * that drains @q, without the transport's lock; @c's buffers are
	 * checked and their host pointers resolved.
	 */
	bool (*serve)(void *dev, unsigned int q, const struct virtq_chain *c,
		      uint32_t *written);
	/*
	 * Queue @q was notified (ready, not broken), through virtio_mmio_notify:
	 * on the I/O thread when @q has a kick eventfd (t->kick_fd[q], set
	 * before vCPUs run), else on the notifying vCPU. NULL: the transport
	 * drains @q right there. A device that serves @q elsewhere (its own
	 * thread, or when its backend is ready) calls virtio_mmio_drain itself.
	 */
	void (*notify)(void *dev, struct virtio_mmio *t, unsigned int q);
	/* Status went to 0 or the device was reset: drop in-flight work. */
	void (*reset)(void *dev);
	/* The interrupt line (InterruptStatus != 0) changed. */
	void (*irq)(void *dev, int level);
};

struct virtio_mmio {
	pthread_mutex_t lock;
	const struct virtio_dev_ops *ops;
	void *dev;
	const struct guest_mem *mem;
	uint32_t status;
	uint32_t dev_feat_sel, drv_feat_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t int_status;
	uint32_t config_generation;
	struct virtq vq[VIRTIO_MMIO_MAX_QUEUES];
	uint32_t epoch;			/* bumped by every reset */
	int irq_fd;			/* eventfd bound to the GSI (irqfd), or -1 */
	int kick_fd[VIRTIO_MMIO_MAX_QUEUES];	/* queue notify eventfds, or -1 */
	unsigned long refused_writes;	/* guest writes ignored as out of place */
	unsigned long broken_requests;	/* chains refused: device needs reset */
	/* Chains not served: KVM refused a device write into them (reset). */
	unsigned long refused_requests;
	uint32_t used_write_id[VIRTIO_MMIO_MAX_QUEUES];	/* announced used rings, 0: none */
	unsigned long interrupts;	/* rising edges of the interrupt line */
	unsigned long needs_reset;	/* times DEVICE_NEEDS_RESET was set */
	char needs_reset_reason[160];	/* the first time's reason, or "" */
	char name[24];			/* "virtio-blk 0": for the log */
	FILE *log;			/* first NEEDS_RESET printed here; NULL: quiet */
};

/* 0, or -1 if @ops asks for more than the transport has (a VMM bug). */
int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_dev_ops *ops, void *dev,
		     const struct guest_mem *mem, struct err *e);
void virtio_mmio_destroy(struct virtio_mmio *t);
/* MMIO accesses at offset @off of the device's window, @size 1, 2, 4 or 8. */
void virtio_mmio_read(struct virtio_mmio *t, uint64_t off, void *data, unsigned int size);
void virtio_mmio_write(struct virtio_mmio *t, uint64_t off, const void *data, unsigned int size);
/* Queue @q has work: ops->notify, or virtio_mmio_drain if there is none. */
void virtio_mmio_notify(struct virtio_mmio *t, unsigned int q);

enum virtio_drain {
	VIRTIO_DRAIN_EMPTY,	/* the queue has no more chains */
	VIRTIO_DRAIN_LATER,	/* ops->serve left a chain for later */
	VIRTIO_DRAIN_STOPPED,	/* driver not running, device reset, or queue broken */
};

/* Chains completed before the used index is published (and at the end). */
#define VIRTIO_DRAIN_BATCH	32

/*
 * Device side, on the one thread that serves queue @q: pops every
 * available chain and hands it to ops->serve, with the driver's
 * notifications suppressed meanwhile; completes them into the used ring
 * and publishes the used index and raises the interrupt once per batch.
 * A bad chain breaks the queue and marks the device NEEDS_RESET.
 * Completions of a device reset meanwhile are dropped. The transport's
 * lock is held only around the ring accesses, never across ops->serve.
 */
enum virtio_drain virtio_mmio_drain(struct virtio_mmio *t, unsigned int q);
/* The features the driver accepted, once it runs the device (DRIVER_OK); else 0. */
uint64_t virtio_mmio_driver_features(struct virtio_mmio *t);
/* Device side: raise VIRTIO_MMIO_INT_VRING. */
void virtio_mmio_signal_used(struct virtio_mmio *t);
/* Device side: a queue broke while processing (@reason); ask the driver to reset. */
void virtio_mmio_needs_reset(struct virtio_mmio *t, const char *reason);

#endif
