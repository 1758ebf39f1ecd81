/* SPDX-License-Identifier: MIT */
/*
 * tptvmm's debug ports, for tests and benchmarks inside the guest:
 *   outb V, 0x500  records "mark V" with the time since tptvmm started
 *                  (printed on stderr, e.g. to time VMM start -> init);
 *   outb V, 0x501  ends the VM: V == 0 is success (exit status 0),
 *                  anything else is reported as a guest failure (10).
 * (0x502 belongs to the vCPU, not to this device: vcpu.c.)
 */
#ifndef TPTVMM_DEBUG_PORT_H
#define TPTVMM_DEBUG_PORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define DEBUG_MARKS_MAX 64

typedef void (*debug_exit_fn)(void *opaque, uint8_t code);

struct debug_mark {
	uint8_t value;
	double ms;
};

struct debug_port {
	pthread_mutex_t lock;
	double t0_ms;		/* CLOCK_MONOTONIC at VMM start */
	struct debug_mark marks[DEBUG_MARKS_MAX];
	unsigned int nr_marks;
	unsigned int dropped;
	FILE *log;		/* where marks are printed; NULL = quiet */
	debug_exit_fn on_exit;
	void *opaque;
};

void debug_port_init(struct debug_port *d, double t0_ms, FILE *log,
		     debug_exit_fn on_exit, void *opaque);
void debug_port_destroy(struct debug_port *d);
void debug_port_pio(void *opaque, uint64_t off, uint8_t *data,
		    unsigned int size, bool is_write);

#endif
