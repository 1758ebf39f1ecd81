/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk on a raw image file or block device: read, write, flush and
 * get-id, served in order on the disk's own thread. A write is in the host file
 * (pwritev returned) before its completion is pushed, and a flush is
 * fdatasync'd before its completion, so what the guest was told is
 * flushed survives a host crash. Requests past the end of the image,
 * not in whole sectors, or with too-short headers fail with IOERR.
 */
#ifndef TPTVMM_VIRTIO_BLK_H
#define TPTVMM_VIRTIO_BLK_H

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "guest_mem.h"
#include "virtio_mmio.h"

struct virtio_blk_stats {
	unsigned long reads, writes, flushes, get_ids;
	unsigned long long bytes_read, bytes_written;
	unsigned long errors;		/* requests completed with IOERR/UNSUPP */
};

struct virtio_blk {
	struct virtio_mmio t;
	struct virtio_dev_ops ops;	/* blk_ops, with VIRTIO_BLK_F_RO if read-only */
	int fd;
	bool ro;
	uint64_t sectors;		/* capacity in 512-byte sectors */
	char id[VIRTIO_BLK_ID_BYTES];
	uint8_t config[24];
	struct virtio_blk_stats st;
	/* The disk's own thread: it drains the queue, so a slow read, write
	 * or fdatasync holds up this disk only, never the I/O thread. */
	pthread_t worker;
	bool worker_started;
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	bool kicked, stopping;		/* under wlock */
};

/* Opens @path (read-only if @ro) and sets up the device (not yet on a bus). */
int virtio_blk_init(struct virtio_blk *b, const char *path, bool ro,
		    const struct guest_mem *mem, struct err *e);
/*
 * Starts the disk's thread: from now on a queue notification only wakes
 * it. Without it (unit tests) the notifying thread serves the queue.
 */
int virtio_blk_start(struct virtio_blk *b, struct err *e);
/* Stops and joins the thread (if started): no request is served after this. */
void virtio_blk_stop(struct virtio_blk *b);
void virtio_blk_destroy(struct virtio_blk *b);

#endif
