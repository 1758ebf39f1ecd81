/* SPDX-License-Identifier: MIT */
/* mptable.c: the MP table's structure and checksums, every CPU listed. */
#include "test_main.h"
#include "guest_tables.h"

#include <string.h>

#include "guest_mem.h"
#include "layout.h"
#include "mptable.h"

static void check_mptable(unsigned int ncpus)
{
	struct err e;
	uint8_t *mpf, *cfg;
	uint32_t phys;
	uint16_t length, count;
	unsigned int cpus = 0, bsp = 0;
	uint8_t *p;

	ck_assert_int_eq(mptable_write(&mem, EBDA_START, ncpus, &e), 0);
	mpf = guest_ptr(&mem, EBDA_START, 16);
	ck_assert_mem_eq(mpf, "_MP_", 4);
	ck_assert_uint_eq(mp_sum(mpf, 16), 0);
	memcpy(&phys, mpf + 4, 4);
	cfg = guest_ptr(&mem, phys, 44);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_mem_eq(cfg, "PCMP", 4);
	memcpy(&length, cfg + 4, 2);
	memcpy(&count, cfg + 34, 2);
	ck_assert_uint_eq(mp_sum(cfg, length), 0);
	ck_assert_uint_eq(length + 16, mptable_size(ncpus));
	p = cfg + 44;
	for (unsigned int i = 0; i < count; i++) {
		switch (p[0]) {
		case 0:	/* processor */
			ck_assert_uint_eq(p[1], cpus);	/* APIC ID = index */
			ck_assert(p[3] & 1);
			if (p[3] & 2)
				bsp++;
			cpus++;
			p += 20;
			break;
		default:
			p += 8;
		}
	}
	ck_assert_uint_eq(cpus, ncpus);
	ck_assert_uint_eq(bsp, 1);
	ck_assert_ptr_eq(p, cfg + length);
}

START_TEST(mptable_1_2_64_cpus)
{
	check_mptable(1);
	check_mptable(2);
	check_mptable(64);
}
END_TEST

START_TEST(mptable_rejects_bad_counts)
{
	struct err e;

	ck_assert_int_eq(mptable_write(&mem, EBDA_START, 0, &e), -1);
	ck_assert_int_eq(mptable_write(&mem, EBDA_START, 255, &e), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mptable");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, mptable_1_2_64_cpus);
	tcase_add_test(t, mptable_rejects_bad_counts);
	suite_add_tcase(s, t);
	return s;
}
