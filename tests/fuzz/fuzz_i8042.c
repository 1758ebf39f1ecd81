/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the i8042 model driven by a guest through its two
 * ports with any access width, in any order. */
#include <stdint.h>
#include <stdlib.h>

#include "i8042.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reset(void *opaque)
{
	(*(unsigned int *)opaque)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int resets = 0;
	struct i8042 k;

	i8042_init(&k, reset, &resets);
	for (size_t i = 0; i + 1 < size; i += 2) {
		uint8_t op = data[i];
		uint8_t v[4] = { data[i + 1], data[i + 1], data[i + 1], data[i + 1] };
		unsigned int width = 1u + ((op >> 2) & 3);
		bool is_write = op & 1;

		if (op & 2)
			i8042_pio_cmd(&k, op >> 4, v, width, is_write);
		else
			i8042_pio_data(&k, op >> 4, v, width, is_write);
	}
	i8042_destroy(&k);
	return 0;
}
