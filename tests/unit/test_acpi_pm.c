/* SPDX-License-Identifier: MIT */
/* acpi_pm.c: the PM1 registers power off on S5 and nothing else. */
#include "test_main.h"

#include "acpi.h"
#include "acpi_pm.h"
#include "layout.h"
#include "sink.h"

START_TEST(acpi_pm_poweroff_only_on_s5)
{
	struct acpi_pm pm;
	struct sink s = { 0 };
	uint8_t d[4];
	uint16_t v;

	acpi_pm_init(&pm, poweroff, &s);
	memset(d, 0xff, sizeof(d));
	acpi_pm_pio(&pm, 4, d, 2, false);
	memcpy(&v, d, 2);
	ck_assert_uint_eq(v & 1, 1);		/* SCI_EN: ACPI mode */
	v = (3 << 10) | (1 << 13);		/* S3: not offered, ignored */
	memcpy(d, &v, 2);
	acpi_pm_pio(&pm, 4, d, 2, true);
	ck_assert_int_eq(s.poweroffs, 0);
	v = (5 << 10);				/* S5 without SLP_EN */
	memcpy(d, &v, 2);
	acpi_pm_pio(&pm, 4, d, 2, true);
	ck_assert_int_eq(s.poweroffs, 0);
	v = (5 << 10) | (1 << 13);
	memcpy(d, &v, 2);
	acpi_pm_pio(&pm, 4, d, 2, true);
	ck_assert_int_eq(s.poweroffs, 1);
	/* Byte-wise write of the high byte also works. */
	d[0] = (uint8_t)(((5 << 10) | (1 << 13)) >> 8);
	acpi_pm_pio(&pm, 5, d, 1, true);
	ck_assert_int_eq(s.poweroffs, 2);
	/* Status is write-1-to-clear; enable is plain. */
	pm.sts = 0x8001;
	v = 0x0001;
	memcpy(d, &v, 2);
	acpi_pm_pio(&pm, 0, d, 2, true);
	ck_assert_uint_eq(pm.sts, 0x8000);
	memcpy(d, "\x21\x01", 2);
	acpi_pm_pio(&pm, 2, d, 2, true);
	ck_assert_uint_eq(pm.en, 0x0121);
	/* A 4-byte access at the last register stops at the block end. */
	memset(d, 0, 4);
	acpi_pm_pio(&pm, 5, d, 4, false);
	acpi_pm_destroy(&pm);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("acpi_pm");
	TCase *t = tcase_create("core");

	tcase_add_test(t, acpi_pm_poweroff_only_on_s5);
	suite_add_tcase(s, t);
	return s;
}
