/* SPDX-License-Identifier: MIT */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define PANIC_MARK "Kernel panic - not syncing"

int console_init(struct console *c, int in_fd, int out_fd, struct uart *u,
		 console_event_fn on_quit, console_event_fn on_panic,
		 void *opaque, struct err *e)
{
	memset(c, 0, sizeof(*c));
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->uart = u;
	c->on_quit = on_quit;
	c->on_panic = on_panic;
	c->opaque = opaque;
	c->in_tty = in_fd >= 0 && isatty(in_fd);
	c->stop_pipe[0] = c->stop_pipe[1] = -1;
	if (pipe2(c->stop_pipe, O_CLOEXEC))
		return err_errno(e, errno, "console: pipe");
	return 0;
}

void console_tx(void *opaque, uint8_t byte)
{
	struct console *c = opaque;

	if (c->out_fd >= 0)
		(void)write_all(c->out_fd, &byte, 1);	/* output gone (EPIPE, disk full): drop */
	if (byte == '\n' || c->line_len == sizeof(c->line) - 1) {
		c->line[c->line_len] = '\0';
		if (strstr(c->line, PANIC_MARK) && c->on_panic)
			c->on_panic(c->opaque);
		c->line_len = 0;
		return;
	}
	c->line[c->line_len++] = (char)byte;
}

size_t console_filter_input(struct console *c, const uint8_t *in, size_t len,
			    uint8_t *out, bool *quit)
{
	size_t n = 0;

	*quit = false;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = in[i];

		if (!c->escape_pending) {
			if (b == CONSOLE_ESCAPE)
				c->escape_pending = true;
			else
				out[n++] = b;
			continue;
		}
		c->escape_pending = false;
		if (b == 'x' || b == 'X') {
			*quit = true;
			return n;
		}
		if (b == CONSOLE_ESCAPE || b == 'a') {
			out[n++] = CONSOLE_ESCAPE;
		} else {
			out[n++] = CONSOLE_ESCAPE;
			out[n++] = b;
		}
	}
	return n;
}

static bool stop_requested(struct console *c)
{
	struct pollfd p = { .fd = c->stop_pipe[0], .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static void *input_thread(void *arg)
{
	struct console *c = arg;
	uint8_t in[128], out[sizeof(in) + 1];

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = c->in_fd, .events = POLLIN },
			{ .fd = c->stop_pipe[0], .events = POLLIN },
		};
		ssize_t r;
		size_t n, done = 0;
		bool quit = false;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		r = read(c->in_fd, in, sizeof(in));
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;	/* EOF: the guest just gets no more input */
		if (c->in_tty) {
			n = console_filter_input(c, in, (size_t)r, out, &quit);
		} else {
			memcpy(out, in, (size_t)r);
			n = (size_t)r;
		}
		/* Nothing is dropped: wait for the guest to drain the FIFO. */
		while (done < n) {
			done += uart_rx_push(c->uart, out + done, n - done);
			if (done < n && !uart_rx_wait_space(c->uart, 100) &&
			    stop_requested(c))
				return NULL;
		}
		if (quit) {
			if (c->on_quit)
				c->on_quit(c->opaque);
			break;
		}
	}
	return NULL;
}

int console_start(struct console *c, struct err *e)
{
	int rc;

	if (c->in_tty) {
		struct termios t;

		if (tcgetattr(c->in_fd, &c->saved) == 0) {
			t = c->saved;
			cfmakeraw(&t);
			if (tcsetattr(c->in_fd, TCSANOW, &t) == 0)
				c->raw_set = true;
		}
	}
	if (c->in_fd < 0)
		return 0;
	rc = pthread_create(&c->thread, NULL, input_thread, c);
	if (rc) {
		console_stop(c);
		return err_errno(e, rc, "console: cannot start input thread");
	}
	c->thread_started = true;
	return 0;
}

void console_stop(struct console *c)
{
	if (c->thread_started) {
		(void)write_eintr(c->stop_pipe[1], "x", 1);
		pthread_join(c->thread, NULL);
		c->thread_started = false;
	}
	if (c->raw_set) {
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
		c->raw_set = false;
	}
}

void console_destroy(struct console *c)
{
	console_stop(c);
	if (c->stop_pipe[0] >= 0)
		close(c->stop_pipe[0]);
	if (c->stop_pipe[1] >= 0)
		close(c->stop_pipe[1]);
	c->stop_pipe[0] = c->stop_pipe[1] = -1;
}
