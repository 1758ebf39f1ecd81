/* SPDX-License-Identifier: MIT */
#include "iothread.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define IOTHREAD_BATCH	32

int iothread_init(struct iothread *io, struct err *e)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	memset(io, 0, sizeof(*io));
	io->stop_fd = -1;
	io->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (io->epfd < 0)
		return err_errno(e, errno, "epoll_create1");
	io->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (io->stop_fd < 0 || epoll_ctl(io->epfd, EPOLL_CTL_ADD, io->stop_fd, &ev)) {
		int saved = errno;

		iothread_destroy(io);
		return err_errno(e, saved, "I/O thread stop eventfd");
	}
	return 0;
}

int iothread_add(struct iothread *io, struct io_handler *h, uint32_t events, struct err *e)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	if (epoll_ctl(io->epfd, EPOLL_CTL_ADD, h->fd, &ev))
		return err_errno(e, errno, "epoll_ctl(ADD fd %d)", h->fd);
	return 0;
}

int iothread_mod(struct iothread *io, struct io_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	return epoll_ctl(io->epfd, EPOLL_CTL_MOD, h->fd, &ev);
}

static void *iothread_main(void *arg)
{
	struct iothread *io = arg;
	struct epoll_event ev[IOTHREAD_BATCH];

	for (;;) {
		int n = epoll_wait(io->epfd, ev, IOTHREAD_BATCH, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		for (int i = 0; i < n; i++) {
			struct io_handler *h = ev[i].data.ptr;

			if (!h)
				return NULL;	/* stop_fd */
			h->fn(h->opaque, ev[i].events);
		}
	}
}

int iothread_start(struct iothread *io, struct err *e)
{
	sigset_t all, old;
	int r;

	/* Signals belong to the main and vCPU threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&io->thread, NULL, iothread_main, io);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return err_errno(e, r, "cannot start the I/O thread");
	io->started = true;
	return 0;
}

void iothread_destroy(struct iothread *io)
{
	uint64_t one = 1;

	if (io->started) {
		if (write(io->stop_fd, &one, sizeof(one)) != sizeof(one))
			pthread_cancel(io->thread);
		pthread_join(io->thread, NULL);
		io->started = false;
	}
	if (io->stop_fd >= 0)
		close(io->stop_fd);
	if (io->epfd >= 0)
		close(io->epfd);
	io->stop_fd = io->epfd = -1;
}
