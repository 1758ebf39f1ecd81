/* SPDX-License-Identifier: MIT */
/* Shared main() for the Check unit-test executables. */
#ifndef TPT_TESTS_TEST_MAIN_H
#define TPT_TESTS_TEST_MAIN_H

#include <check.h>
#include <stdlib.h>

static Suite *suite(void);

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
