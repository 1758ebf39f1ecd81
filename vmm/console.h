/* SPDX-License-Identifier: MIT */
/*
 * The host side of COM1: guest output to a file descriptor (terminal, pipe
 * or file), host input from another, raw mode while stdin is a terminal
 * (restored on exit), Ctrl-A x to quit, and a watch for the guest kernel's
 * panic line so tptvmm can report it.
 */
#ifndef TPTVMM_CONSOLE_H
#define TPTVMM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "err.h"
#include "uart.h"

#define CONSOLE_ESCAPE 0x01	/* Ctrl-A */

typedef void (*console_event_fn)(void *opaque);

struct console {
	int in_fd, out_fd;
	bool in_tty, raw_set;
	struct termios saved;
	struct uart *uart;
	pthread_t thread;
	bool thread_started;
	int stop_pipe[2];
	bool escape_pending;
	/* Output-side line scan (called under the UART lock). */
	char line[256];
	size_t line_len;
	console_event_fn on_quit, on_panic;
	void *opaque;
};

int console_init(struct console *c, int in_fd, int out_fd, struct uart *u,
		 console_event_fn on_quit, console_event_fn on_panic,
		 void *opaque, struct err *e);
/* Starts the input thread (raw mode if in_fd is a terminal). */
int console_start(struct console *c, struct err *e);
/* Stops the input thread and restores the terminal. Idempotent. */
void console_stop(struct console *c);
void console_destroy(struct console *c);

/* UART tx callback: writes one guest byte to out_fd. */
void console_tx(void *opaque, uint8_t byte);

/*
 * Escape handling, exposed for tests: feeds len input bytes, writes the
 * bytes meant for the guest to out (at most len + 1), returns their count;
 * sets *quit when Ctrl-A x was seen (input after it is dropped).
 */
size_t console_filter_input(struct console *c, const uint8_t *in, size_t len,
			    uint8_t *out, bool *quit);

#endif
