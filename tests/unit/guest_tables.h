/* SPDX-License-Identifier: MIT */
/*
 * Shared by the tests of what tptvmm writes into guest memory at boot
 * (ACPI tables, the MP table, the IRQ routing that must agree with them):
 * a 64 MiB guest memory per test and a checked view of one ACPI table.
 */
#ifndef TPT_TESTS_GUEST_TABLES_H
#define TPT_TESTS_GUEST_TABLES_H

#include <string.h>

#include "acpi.h"
#include "guest_mem.h"

static struct guest_mem mem;

static void setup(void)
{
	struct guest_mem_opts o = { 0 };
	struct err e;

	ck_assert_int_eq(guest_mem_alloc(&mem, 64ULL << 20, &o, &e), 0);
}

static void teardown(void)
{
	guest_mem_free(&mem);
}

/* The ACPI table at @gpa: signature @sig, inside guest memory, summing to 0. */
static inline uint8_t *table_at(uint64_t gpa, const char *sig)
{
	uint8_t *h = guest_ptr(&mem, gpa, 36);
	uint32_t len;

	ck_assert_ptr_nonnull(h);
	ck_assert_mem_eq(h, sig, 4);
	memcpy(&len, h + 4, 4);
	ck_assert_ptr_nonnull(guest_ptr(&mem, gpa, len));
	ck_assert_uint_eq(acpi_sum(h, len), 0);
	return h;
}

#endif
