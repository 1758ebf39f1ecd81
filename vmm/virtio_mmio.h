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
	 * Queue @q has work: the driver notified it (ready, not broken). With
	 * a kick eventfd set for @q (t->kick_fd[q], set before vCPUs run), the transport
	 * writes that instead and the I/O thread calls this.
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
	unsigned long interrupts;	/* rising edges of the interrupt line */
	unsigned long needs_reset;	/* times DEVICE_NEEDS_RESET was set */
	char needs_reset_reason[160];	/* the first time's reason, or "" */
	char name[24];			/* "virtio-blk 0": for the log */
	FILE *log;			/* first NEEDS_RESET printed here; NULL: quiet */
};

int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_dev_ops *ops, void *dev,
		     const struct guest_mem *mem);
void virtio_mmio_destroy(struct virtio_mmio *t);
/* MMIO accesses at offset @off of the device's window, @size 1, 2, 4 or 8. */
void virtio_mmio_read(struct virtio_mmio *t, uint64_t off, void *data, unsigned int size);
void virtio_mmio_write(struct virtio_mmio *t, uint64_t off, const void *data, unsigned int size);
/*
 * Device side, on the thread that serves the device: takes the next chain
 * of queue @q (1), none pending or the driver is not running (0), or -1
 * when the chain was bad: the queue is broken and the device is marked
 * NEEDS_RESET, the reason in *e. *epoch identifies the device state the
 * chain belongs to; pass it to virtio_mmio_push.
 */
int virtio_mmio_pop(struct virtio_mmio *t, unsigned int q, struct virtq_chain *c,
		    uint32_t *epoch, struct err *e);
/*
 * Returns chain @head to the driver and raises the used-ring interrupt,
 * unless the device was reset since the pop (@epoch differs): then the
 * chain is forgotten. 0, or -1 if the push itself was refused.
 */
int virtio_mmio_push(struct virtio_mmio *t, unsigned int q, uint16_t head,
		     uint32_t written, uint32_t epoch);
/*
 * Device side: serves queue @q until it is empty, with the driver's
 * notifications suppressed meanwhile: calls @serve(dev, t, q), which pops
 * until virtio_mmio_pop says nothing is pending, again while buffers
 * arrived as notifications came back on.
 */
void virtio_mmio_drain(struct virtio_mmio *t, unsigned int q,
		       void (*serve)(void *dev, struct virtio_mmio *t, unsigned int q));
/* Device side: raise VIRTIO_MMIO_INT_VRING (after pushing to a queue). */
void virtio_mmio_signal_used(struct virtio_mmio *t);
/* Device side: a queue broke while processing (@reason); ask the driver to reset. */
void virtio_mmio_needs_reset(struct virtio_mmio *t, const char *reason);

#endif
