/* SPDX-License-Identifier: MIT */
#include "i8042.h"

#include <string.h>

#include "layout.h"

#define STS_OBF		0x01
#define STS_SYS		0x04
#define STS_CMD		0x08
#define STS_UNLOCKED	0x10	/* keyboard not inhibited */
#define CMD_READ_CTR	0x20
#define CMD_WRITE_CTR	0x60
#define CMD_AUX_DISABLE	0xa7
#define CMD_AUX_ENABLE	0xa8
#define CMD_AUX_TEST	0xa9
#define CMD_SELF_TEST	0xaa
#define CMD_KBD_TEST	0xab
#define CMD_KBD_DISABLE	0xad
#define CMD_KBD_ENABLE	0xae
#define CMD_READ_OUTP	0xd0
#define CMD_WRITE_OUTP	0xd1
#define CMD_RESET	0xfe

void i8042_init(struct i8042 *k, i8042_reset_fn reset, void *opaque)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->ctr = 0x30;	/* both ports disabled, no interrupts */
	k->reset = reset;
	k->opaque = opaque;
}

void i8042_destroy(struct i8042 *k)
{
	pthread_mutex_destroy(&k->lock);
}

static void put(struct i8042 *k, uint8_t v)
{
	k->outb = v;
	k->outb_full = true;
}

uint8_t i8042_read(struct i8042 *k, unsigned int port)
{
	uint8_t v;

	pthread_mutex_lock(&k->lock);
	if (port == I8042_CMD_PORT) {
		v = STS_SYS | STS_UNLOCKED | (k->outb_full ? STS_OBF : 0) |
		    (k->pending_cmd ? STS_CMD : 0);
	} else {
		v = k->outb;
		k->outb_full = false;
	}
	pthread_mutex_unlock(&k->lock);
	return v;
}

void i8042_write(struct i8042 *k, unsigned int port, uint8_t val)
{
	bool do_reset = false;

	pthread_mutex_lock(&k->lock);
	if (port == I8042_CMD_PORT) {
		k->pending_cmd = 0;
		switch (val) {
		case CMD_READ_CTR:
			put(k, k->ctr);
			break;
		case CMD_WRITE_CTR:
		case CMD_WRITE_OUTP:
			k->pending_cmd = val;
			break;
		case CMD_SELF_TEST:
			put(k, 0x55);
			break;
		case CMD_KBD_TEST:
		case CMD_AUX_TEST:
			put(k, 0x00);
			break;
		case CMD_READ_OUTP:
			put(k, 0x01);	/* reset line high (not in reset) */
			break;
		case CMD_AUX_DISABLE:
			k->ctr |= 0x20;
			break;
		case CMD_AUX_ENABLE:
			k->ctr &= (uint8_t)~0x20;
			break;
		case CMD_KBD_DISABLE:
			k->ctr |= 0x10;
			break;
		case CMD_KBD_ENABLE:
			k->ctr &= (uint8_t)~0x10;
			break;
		case CMD_RESET:
			do_reset = true;
			break;
		default:
			break;	/* unknown commands are ignored */
		}
	} else {
		switch (k->pending_cmd) {
		case CMD_WRITE_CTR:
			k->ctr = val;
			break;
		case CMD_WRITE_OUTP:
			/* Bit 0 low pulses the CPU reset line. */
			if (!(val & 1))
				do_reset = true;
			break;
		default:
			/* No keyboard behind the controller: no ACK. */
			break;
		}
		k->pending_cmd = 0;
	}
	pthread_mutex_unlock(&k->lock);
	if (do_reset && k->reset)
		k->reset(k->opaque);
}

void i8042_pio_data(void *opaque, uint64_t off, uint8_t *data,
		    unsigned int size, bool is_write)
{
	(void)off;
	(void)size;
	if (is_write)
		i8042_write(opaque, I8042_DATA_PORT, data[0]);
	else
		data[0] = i8042_read(opaque, I8042_DATA_PORT);
}

void i8042_pio_cmd(void *opaque, uint64_t off, uint8_t *data,
		   unsigned int size, bool is_write)
{
	(void)off;
	(void)size;
	if (is_write)
		i8042_write(opaque, I8042_CMD_PORT, data[0]);
	else
		data[0] = i8042_read(opaque, I8042_CMD_PORT);
}
