/* SPDX-License-Identifier: MIT */
/*
 * Minimal i8042 keyboard controller: enough for Linux to probe it quietly
 * and to reset the machine with command 0xfe (reboot=k), which ends the VM.
 */
#ifndef TPTVMM_I8042_H
#define TPTVMM_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef void (*i8042_reset_fn)(void *opaque);

struct i8042 {
	pthread_mutex_t lock;
	uint8_t ctr;		/* controller configuration byte */
	uint8_t outb;		/* output buffer */
	bool outb_full;
	uint8_t pending_cmd;	/* command waiting for its data byte */
	i8042_reset_fn reset;
	void *opaque;
};

void i8042_init(struct i8042 *k, i8042_reset_fn reset, void *opaque);
void i8042_destroy(struct i8042 *k);
uint8_t i8042_read(struct i8042 *k, unsigned int port);
void i8042_write(struct i8042 *k, unsigned int port, uint8_t val);
/* Port-bus adapters for 0x60 and 0x64. */
void i8042_pio_data(void *opaque, uint64_t off, uint8_t *data,
		    unsigned int size, bool is_write);
void i8042_pio_cmd(void *opaque, uint64_t off, uint8_t *data,
		   unsigned int size, bool is_write);

#endif
