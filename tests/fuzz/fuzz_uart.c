/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the 16550 UART model driven by a guest (register reads
 * and writes of any width through the port handler, direct register
 * accesses) and by the console (input bytes), in any order. */
#include <stdint.h>
#include <stdlib.h>

#include "uart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct line {
	int level;
	size_t tx;
};

static void tx(void *opaque, uint8_t byte)
{
	(void)byte;
	((struct line *)opaque)->tx++;
}

static void irq(void *opaque, int level)
{
	((struct line *)opaque)->level = level;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct line l = { 0, 0 };
	struct uart u;

	uart_init(&u, tx, &l, irq, &l);
	for (size_t i = 0; i + 1 < size; i += 2) {
		uint8_t op = data[i], val = data[i + 1];
		unsigned int off = op & 7;

		switch (op >> 6) {
		case 0:
			uart_write(&u, off, val);
			break;
		case 1:
			uart_read(&u, off);
			break;
		case 2:
			uart_rx_push(&u, &data[i + 1], (size_t)(val & 0x3f) < size - i - 1 ?
				     (size_t)(val & 0x3f) : size - i - 1);
			break;
		default: {
			uint8_t pio[4] = { val, val, val, val };

			uart_pio(&u, off, pio, 1u + ((op >> 3) & 3), (op >> 5) & 1);
		}
		}
	}
	uart_destroy(&u);
	return 0;
}
