/* SPDX-License-Identifier: MIT */
/* report.c: the --report JSON, its escaping and its optional fields. */
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "layout.h"
#include "report.h"
#include "tpt_abi.h"

static char *render(const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(report_write(f, r), 0);
	fclose(f);
	return buf;
}

static void has(const char *json, const char *needle)
{
	ck_assert_msg(strstr(json, needle), "report lacks '%s':\n%s", needle, json);
}

START_TEST(minimal_report)
{
	struct vm_config cfg = { .cpus = 3, .mem = 64ULL << 20 };
	struct report r;
	char *j;

	report_init(&r, &cfg);
	r.status = EXIT_TIMEOUT;
	r.reason = "guest still running after --timeout 2 s";
	r.exit_ms = 2001.5;
	j = render(&r);
	has(j, "\"report_version\": 1,");
	has(j, "\"status\": 12,");
	has(j, "\"status_name\": \"guest still running at --timeout\"");
	has(j, "\"reason\": \"guest still running after --timeout 2 s\"");
	has(j, "\"time_ms\": {\"first_mark\": null, \"exit\": 2001.500}");
	has(j, "\"marks\": [],");
	has(j, "\"vcpus\": 3,");
	has(j, "\"memory_bytes\": 67108864,");
	has(j, "\"devices\": [],");
	has(j, "\"tpt\": {\"enabled\": false, \"mode\": null, \"stats\": null, \"stats_error\": null}");
	free(j);
}
END_TEST

START_TEST(marks_devices_tpt)
{
	struct vm_config cfg = { .cpus = 1, .mem = 32ULL << 20, .tpt = true, .tpt_mode = KVM_TPT_MODE_VERIFY };
	struct debug_mark marks[2] = { { 1, 10.25 }, { 7, 20.0 } };
	struct report r;
	struct report_device *d;
	char *j;

	report_init(&r, &cfg);
	r.status = EXIT_POWEROFF;
	r.reason = "ACPI power-off (S5)";
	r.marks = marks;
	r.nr_marks = 2;
	d = &r.devices[r.nr_devices++];
	strcpy(d->name, "virtio-blk 0");
	d->type = "virtio-blk";
	d->mmio_base = VIRTIO_MMIO_BASE;
	d->irq = 5;
	d->requests = 42;
	d->errors = 1;
	d->needs_reset = 2;
	d->needs_reset_reason = "queue 0: chain from head 3 loops";
	d->counters[d->nr_counters++] = (struct report_counter){ "reads", 40 };
	d->counters[d->nr_counters++] = (struct report_counter){ "writes", 2 };
	r.tpt_stats_ok = true;
	strcpy(r.tpt_vm[0].name, "tpt_frames");
	r.tpt_vm[0].value = 8192;
	r.nr_tpt_vm = 1;
	strcpy(r.tpt_vcpus[0].name, "tpt_enters");
	r.tpt_vcpus[0].value = 5;
	strcpy(r.tpt_vcpus[1].name, "tpt_exits");
	r.tpt_vcpus[1].value = 4;
	r.nr_tpt_vcpus = 2;
	j = render(&r);
	has(j, "\"time_ms\": {\"first_mark\": 10.250,");
	has(j, "\"marks\": [{\"value\": 1, \"ms\": 10.250}, {\"value\": 7, \"ms\": 20.000}]");
	has(j, "{\"name\": \"virtio-blk 0\", \"type\": \"virtio-blk\", \"index\": 0, \"mmio_base\": 3489660928, \"irq\": 5,");
	has(j, "\"requests\": 42, \"errors\": 1, \"needs_reset\": 2, \"needs_reset_reason\": \"queue 0: chain from head 3 loops\"");
	has(j, "\"counters\": {\"reads\": 40, \"writes\": 2}}");
	has(j, "\"tpt\": {\"enabled\": true, \"mode\": \"verify\", \"stats\": {\"vm\": {\"tpt_frames\": 8192}, \"vcpus\": {\"tpt_enters\": 5, \"tpt_exits\": 4}}, \"stats_error\": null}");
	free(j);
	/* Statistics that could not be read say why. */
	r.tpt_stats_ok = false;
	strcpy(r.tpt_stats_error, "KVM_GET_STATS_FD: Invalid argument");
	j = render(&r);
	has(j, "\"stats\": null, \"stats_error\": \"KVM_GET_STATS_FD: Invalid argument\"");
	free(j);
}
END_TEST

START_TEST(strings_escaped)
{
	struct vm_config cfg = { .cpus = 1, .mem = 32ULL << 20 };
	struct report r;
	char *j;

	report_init(&r, &cfg);
	r.status = EXIT_VMM_ERROR;
	r.reason = "cannot open \"a\\b\"\n\ttab\x01";
	j = render(&r);
	has(j, "\"reason\": \"cannot open \\\"a\\\\b\\\"\\n\\ttab\\u0001\",");
	free(j);
}
END_TEST

START_TEST(write_error_reported)
{
	struct vm_config cfg = { .cpus = 1, .mem = 32ULL << 20 };
	struct report r;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		return;	/* no /dev/full in this sandbox: nothing to check */
	report_init(&r, &cfg);
	ck_assert_int_eq(report_write(f, &r), -1);
	fclose(f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_add_test(tc, minimal_report);
	tcase_add_test(tc, marks_devices_tpt);
	tcase_add_test(tc, strings_escaped);
	tcase_add_test(tc, write_error_reported);
	suite_add_tcase(s, tc);
	return s;
}
