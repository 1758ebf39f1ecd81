/* SPDX-License-Identifier: MIT */
/* err.c: messages with context, and truncation that stays a C string. */
#include "test_main.h"

#include <errno.h>
#include <string.h>

#include "err.h"

START_TEST(set_errno_prepend_append)
{
	struct err e;

	ck_assert_int_eq(err_set(&e, "cannot open %s", "x.img"), -1);
	ck_assert_str_eq(e.msg, "cannot open x.img");
	ck_assert_int_eq(err_prepend(&e, "--disk %d: ", 2), -1);
	ck_assert_str_eq(e.msg, "--disk 2: cannot open x.img");
	ck_assert_int_eq(err_append(&e, " (%s)", "ro"), -1);
	ck_assert_str_eq(e.msg, "--disk 2: cannot open x.img (ro)");
	ck_assert_int_eq(err_errno(&e, ENOENT, "open %s", "y"), -1);
	ck_assert_str_eq(e.msg, "open y: No such file or directory");
	/* NULL is allowed everywhere: only the -1 is wanted. */
	ck_assert_int_eq(err_set(NULL, "x"), -1);
	ck_assert_int_eq(err_prepend(NULL, "x"), -1);
	ck_assert_int_eq(err_append(NULL, "x"), -1);
	ck_assert_int_eq(err_errno(NULL, EIO, "x"), -1);
}
END_TEST

START_TEST(long_messages_truncate)
{
	struct err e;
	char big[sizeof(e.msg) * 2];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	err_set(&e, "%s", big);
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
	err_append(&e, "tail");
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
	ck_assert_int_eq(e.msg[sizeof(e.msg) - 2], 'a');
	/* Prepending keeps the new context and as much of the old as fits. */
	err_prepend(&e, "ctx: ");
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
	ck_assert_int_eq(strncmp(e.msg, "ctx: aaa", 8), 0);
	err_set(&e, "short");
	err_prepend(&e, "%s", big);
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("err");
	TCase *tc = tcase_create("err");

	tcase_add_test(tc, set_errno_prepend_append);
	tcase_add_test(tc, long_messages_truncate);
	suite_add_tcase(s, tc);
	return s;
}
