/* SPDX-License-Identifier: MIT */
/*
 * The I/O thread: one epoll loop that serves the virtio devices' queue
 * kicks (ioeventfds) and backends (tap), so device work runs beside the
 * vCPUs instead of on them. Handlers are added before the thread starts,
 * or from the thread itself; each is owned by its device.
 */
#ifndef TPTVMM_IOTHREAD_H
#define TPTVMM_IOTHREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct io_handler {
	void (*fn)(void *opaque, uint32_t events);
	void *opaque;
	int fd;
};

struct iothread {
	int epfd;
	int stop_fd;
	pthread_t thread;
	bool started;
};

int iothread_init(struct iothread *io, struct err *e);
/* Watches h->fd for @events (EPOLLIN ...); h must outlive the thread. */
int iothread_add(struct iothread *io, struct io_handler *h, uint32_t events, struct err *e);
/* Changes what h->fd is watched for (0: nothing, until changed again). */
int iothread_mod(struct iothread *io, struct io_handler *h, uint32_t events);
int iothread_start(struct iothread *io, struct err *e);
/* Stops and joins the thread (if started) and frees the loop. */
void iothread_destroy(struct iothread *io);

#endif
