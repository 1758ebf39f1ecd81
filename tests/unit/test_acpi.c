/* SPDX-License-Identifier: MIT */
/* acpi.c: RSDP, XSDT, FADT, DSDT, FACS and MADT, checksums, every CPU listed. */
#include "test_main.h"
#include "guest_tables.h"

#include <string.h>

#include "acpi.h"
#include "guest_mem.h"
#include "layout.h"
#include "mptable.h"

START_TEST(acpi_tables_valid)
{
	struct err e;
	uint64_t rsdp_a, xsdt_a, ptr[2];
	uint32_t dsdt32, facs32, len, pm1a_cnt;
	uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt;
	unsigned int lapics = 0;

	ck_assert_int_eq(acpi_write_tables(&mem, 4, &rsdp_a, &e), 0);
	ck_assert_uint_eq(rsdp_a, ACPI_TABLES_ADDR);
	rsdp = guest_ptr(&mem, rsdp_a, 36);
	ck_assert_mem_eq(rsdp, "RSD PTR ", 8);
	ck_assert_uint_eq(acpi_sum(rsdp, 20), 0);
	ck_assert_uint_eq(acpi_sum(rsdp, 36), 0);
	ck_assert_uint_eq(rsdp[15], 2);
	memcpy(&xsdt_a, rsdp + 24, 8);
	xsdt = table_at(xsdt_a, "XSDT");
	memcpy(ptr, xsdt + 36, 16);
	fadt = table_at(ptr[0], "FACP");
	madt = table_at(ptr[1], "APIC");

	memcpy(&facs32, fadt + 36, 4);
	memcpy(&dsdt32, fadt + 40, 4);
	memcpy(&pm1a_cnt, fadt + 64, 4);
	ck_assert_uint_eq(pm1a_cnt, ACPI_PM1A_CNT_PORT);
	ck_assert_uint_eq(facs32 % 64, 0);
	ck_assert_mem_eq(guest_ptr(&mem, facs32, 4), "FACS", 4);
	dsdt = table_at(dsdt32, "DSDT");
	/* \_S5 package with SLP_TYP 5. */
	ck_assert_mem_eq(dsdt + 36, "\x08_S5_\x12", 6);
	ck_assert_uint_eq(dsdt[36 + 9], ACPI_S5_SLP_TYP);

	memcpy(&len, madt + 4, 4);
	for (uint8_t *p = madt + 44; p < madt + len; p += p[1]) {
		ck_assert_uint_ge(p[1], 2);
		if (p[0] == 0) {
			ck_assert_uint_eq(p[3], lapics);
			lapics++;
		}
	}
	ck_assert_uint_eq(lapics, 4);
	/* Below the 1 MiB boundary, inside the reserved BIOS area. */
	ck_assert_uint_lt(ptr[1] + len, BIOS_END);
	ck_assert_uint_ge(rsdp_a, EBDA_START);
}
END_TEST

START_TEST(acpi_max_cpus_fit)
{
	struct err e;
	uint64_t rsdp;

	ck_assert_int_eq(acpi_write_tables(&mem, MPTABLE_MAX_CPUS, &rsdp, &e), 0);
	ck_assert_int_eq(acpi_write_tables(&mem, 0, &rsdp, &e), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, acpi_tables_valid);
	tcase_add_test(t, acpi_max_cpus_fit);
	suite_add_tcase(s, t);
	return s;
}
