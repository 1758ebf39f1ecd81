/* SPDX-License-Identifier: MIT */
/* bus.c: dispatch by range, overlaps refused, unclaimed accesses. */
#include "test_main.h"

#include <string.h>

#include "bus.h"
#include "sink.h"

static void count_fn(void *o, uint64_t off, uint8_t *data, unsigned int size,
		     bool is_write)
{
	struct sink *s = o;

	(void)size;
	if (is_write)
		s->out[s->n++] = (uint8_t)off;
	else
		data[0] = 0x42;
}

START_TEST(bus_dispatch_rules)
{
	struct bus b;
	struct sink s = { 0 };
	struct err e;
	uint8_t d[8];

	bus_init(&b, 0xff);
	ck_assert_int_eq(bus_register(&b, 0x100, 8, count_fn, &s, "a", &e), 0);
	ck_assert_int_eq(bus_register(&b, 0x104, 8, count_fn, &s, "b", &e), -1);
	ck_assert_int_eq(bus_register(&b, 0x0, 0, count_fn, &s, "c", &e), -1);
	ck_assert_int_eq(bus_register(&b, UINT64_MAX, 2, count_fn, &s, "d", &e), -1);
	/* Unclaimed reads are all-ones on the port bus. */
	memset(d, 0, sizeof(d));
	ck_assert(!bus_dispatch(&b, 0x200, d, 4, false));
	ck_assert_mem_eq(d, "\xff\xff\xff\xff", 4);
	/* Claimed reads are zero-filled before the device fills them. */
	ck_assert(bus_dispatch(&b, 0x101, d, 4, false));
	ck_assert_mem_eq(d, "\x42\x00\x00\x00", 4);
	/* An access running past the end of a range is not dispatched. */
	ck_assert(!bus_dispatch(&b, 0x106, d, 4, true));
	ck_assert(bus_dispatch(&b, 0x107, d, 1, true));
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.out[0], 7);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bus");
	TCase *t = tcase_create("core");

	tcase_add_test(t, bus_dispatch_rules);
	suite_add_tcase(s, t);
	return s;
}
