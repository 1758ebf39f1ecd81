/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a split virtqueue whose rings, descriptors and
 * indirect tables are the fuzzer's bytes; the device pops and pushes until
 * the queue is empty or broken. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_mem.h"
#include "virtq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define AREA	0x10000ULL	/* the input lands here */
#define AREA_LEN 0x20000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem *mem = fuzz_guest_mem(32ULL << 20);
	static struct virtq_chain c;
	struct virtq q;
	struct err e;

	if (size < 4)
		return 0;
	memset(guest_ptr(mem, AREA, AREA_LEN), 0, AREA_LEN);
	memcpy(guest_ptr(mem, AREA, AREA_LEN), data + 4,
	       size - 4 < AREA_LEN ? size - 4 : AREA_LEN);
	virtq_reset(&q);
	/* Mostly valid sizes, sometimes not; rings at input-chosen offsets. */
	q.size = (data[0] & 0x80) ? data[0] : (uint16_t)(1u << (data[0] % 9));
	q.desc_gpa = AREA + (data[1] & 0xf) * 0x1000ULL;
	q.avail_gpa = AREA + (data[2] & 0xf) * 0x1000ULL + (data[2] >> 7);
	q.used_gpa = AREA + (data[3] & 0xf) * 0x1000ULL;
	if (virtq_activate(&q, mem, &e))
		return 0;
	for (int i = 0; i < 1024; i++) {
		int r = virtq_pop(&q, mem, &c, &e);

		if (r <= 0)
			break;
		/* Every buffer handed out must be inside guest RAM. */
		for (unsigned int j = 0; j < c.n; j++)
			if (!guest_ptr(mem, c.buf[j].gpa, c.buf[j].len))
				abort();
		if (virtq_push(&q, c.head, (uint32_t)c.writable_len, &e))
			break;
	}
	return 0;
}
