/* SPDX-License-Identifier: MIT */
/* debug_port.c: timestamped marks and the exit port. */
#include "test_main.h"

#include "debug_port.h"
#include "layout.h"
#include "util.h"

static int exits = -1;

static void on_exit_code(void *o, uint8_t code)
{
	(void)o;
	exits = code;
}

START_TEST(debug_port_marks_and_exit)
{
	struct debug_port d;
	uint8_t v = 7;

	debug_port_init(&d, monotonic_ms(), NULL, on_exit_code, NULL);
	for (int i = 0; i < DEBUG_MARKS_MAX + 5; i++)
		debug_port_pio(&d, 0, &v, 1, true);
	ck_assert_uint_eq(d.nr_marks, DEBUG_MARKS_MAX);
	ck_assert_uint_eq(d.dropped, 5);
	ck_assert_uint_eq(d.marks[0].value, 7);
	ck_assert(d.marks[0].ms >= 0);
	v = 3;
	debug_port_pio(&d, 1, &v, 1, true);
	ck_assert_int_eq(exits, 3);
	debug_port_pio(&d, 1, &v, 1, false);	/* reads do nothing */
	debug_port_destroy(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("debug_port");
	TCase *t = tcase_create("core");

	tcase_add_test(t, debug_port_marks_and_exit);
	suite_add_tcase(s, t);
	return s;
}
