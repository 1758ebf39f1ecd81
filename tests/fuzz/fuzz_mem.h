/* SPDX-License-Identifier: MIT */
/* Guest memory shared by every run of a fuzz target (allocated once). */
#ifndef TPT_TESTS_FUZZ_MEM_H
#define TPT_TESTS_FUZZ_MEM_H

#include <stdlib.h>

#include "guest_mem.h"

static struct guest_mem *fuzz_guest_mem(uint64_t size)
{
	static struct guest_mem mem;
	static int ready;
	struct guest_mem_opts o = { 0 };
	struct err e;

	if (!ready) {
		if (guest_mem_alloc(&mem, size, &o, &e))
			abort();
		ready = 1;
	}
	return &mem;
}

#endif
