/* SPDX-License-Identifier: MIT */
#include "test_main.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tpt_abi.h"

#define GiB (1ULL << 30)

static enum cli_result parse(struct vm_config *c, struct err *e, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	char *a;
	FILE *devnull = fopen("/dev/null", "w");
	enum cli_result r;

	argv[argc++] = "tptvmm";
	va_start(ap, e);
	while ((a = va_arg(ap, char *)) != NULL && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	e->msg[0] = '\0';
	r = cli_parse(argc, argv, c, 24 * GiB, devnull, e);
	fclose(devnull);
	return r;
}

START_TEST(defaults_and_values)
{
	struct vm_config c;
	struct err e;

	ck_assert_int_eq(parse(&c, &e, "--kernel", "bz", NULL), CLI_RUN);
	ck_assert_str_eq(c.kernel, "bz");
	ck_assert_uint_eq(c.mem, DEFAULT_MEM);
	ck_assert_uint_eq(c.cpus, 1);
	ck_assert_str_eq(c.cmdline, DEFAULT_CMDLINE);
	ck_assert(!c.tpt);
	ck_assert_int_eq(parse(&c, &e, "--kernel", "bz", "--mem", "8G", "--cpus", "4",
			       "--initrd", "i", "--cmdline", "console=ttyS0",
			       "--tpt", "--prefault", "--hugepages", NULL), CLI_RUN);
	ck_assert_uint_eq(c.mem, 8 * GiB);
	ck_assert_uint_eq(c.cpus, 4);
	ck_assert_str_eq(c.initrd, "i");
	ck_assert_str_eq(c.cmdline, "console=ttyS0");
	ck_assert(c.tpt && c.prefault && c.hugepages);
	ck_assert_int_eq(c.tpt_mode, KVM_TPT_MODE_VERIFY);
	ck_assert_int_eq(parse(&c, &e, "--kernel=bz", "--tpt=trust", NULL), CLI_RUN);
	ck_assert_int_eq(c.tpt_mode, KVM_TPT_MODE_TRUST);
	ck_assert_int_eq(parse(&c, &e, "--raw", "g.bin", "--raw-mode", "long",
			       "--raw-addr", "0x20000", NULL), CLI_RUN);
	ck_assert_int_eq(c.raw_mode, START_LONG64);
	ck_assert_uint_eq(c.raw_addr, 0x20000);
}
END_TEST

START_TEST(help_and_version)
{
	struct vm_config c;
	struct err e;

	ck_assert_int_eq(parse(&c, &e, "--help", NULL), CLI_EXIT_OK);
	ck_assert_int_eq(parse(&c, &e, "-V", NULL), CLI_EXIT_OK);
}
END_TEST

static void expect_error(const char *needle, ...)
{
	struct vm_config c;
	struct err e;
	char *argv[32];
	int argc = 0;
	va_list ap;
	char *a;
	FILE *devnull = fopen("/dev/null", "w");

	argv[argc++] = "tptvmm";
	va_start(ap, needle);
	while ((a = va_arg(ap, char *)) != NULL && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	ck_assert_int_eq(cli_parse(argc, argv, &c, 24 * GiB, devnull, &e), CLI_ERROR);
	fclose(devnull);
	ck_assert_msg(strstr(e.msg, needle), "'%s' not in '%s'", needle, e.msg);
	ck_assert_ptr_null(strchr(e.msg, '\n'));	/* one line */
}

START_TEST(bad_input_gets_one_line_errors)
{
	expect_error("no guest given", NULL);
	expect_error("not a size", "--kernel", "k", "--mem", "lots", NULL);
	expect_error("not a size", "--kernel", "k", "--mem", "-5G", NULL);
	expect_error("too small", "--kernel", "k", "--mem", "1M", NULL);
	expect_error("more than this host", "--kernel", "k", "--mem", "64G", NULL);
	expect_error("multiple of 1M", "--kernel", "k", "--mem", "100000K", NULL);
	expect_error("--cpus", "--kernel", "k", "--cpus", "0", NULL);
	expect_error("--cpus", "--kernel", "k", "--cpus", "65", NULL);
	expect_error("--cpus", "--kernel", "k", "--cpus", "two", NULL);
	expect_error("--tpt", "--kernel", "k", "--tpt=maybe", NULL);
	expect_error("unknown option", "--kernel", "k", "--frobnicate", NULL);
	expect_error("needs a value", "--kernel", NULL);
	expect_error("exclude", "--kernel", "k", "--raw", "r", NULL);
	expect_error("--initrd needs --kernel", "--raw", "r", "--initrd", "i", NULL);
	expect_error("--raw-addr", "--raw", "r", "--raw-addr", "0x10001", NULL);
	expect_error("--raw-addr", "--raw", "r", "--raw-addr", "0xffffffff0", NULL);
	expect_error("--raw-mode", "--raw", "r", "--raw-mode", "protected", NULL);
	expect_error("unexpected argument", "--kernel", "k", "extra", NULL);
	expect_error("multiple of 2M", "--kernel", "k", "--mem", "33M", "--hugepages", NULL);
}
END_TEST

START_TEST(virtio_device_options)
{
	struct vm_config c;
	struct err e;

	ck_assert_int_eq(parse(&c, &e, "--kernel", "k", "--disk", "root.img",
			       "--disk", "/data/b.raw,ro", "--net", "tap=tap0",
			       "--net", "mac=02:00:00:AA:bb:01,tap=tpt1", "--rng", NULL), CLI_RUN);
	ck_assert_uint_eq(c.nr_disks, 2);
	ck_assert_str_eq(c.disks[0].path, "root.img");
	ck_assert(!c.disks[0].ro);
	ck_assert_str_eq(c.disks[1].path, "/data/b.raw");
	ck_assert(c.disks[1].ro);
	ck_assert_uint_eq(c.nr_nets, 2);
	ck_assert_str_eq(c.nets[0].tap, "tap0");
	ck_assert(!c.nets[0].has_mac);
	ck_assert_str_eq(c.nets[1].tap, "tpt1");
	ck_assert(c.nets[1].has_mac);
	ck_assert_uint_eq(c.nets[1].mac[3], 0xaa);
	ck_assert_uint_eq(c.nets[1].mac[4], 0xbb);
	ck_assert_uint_eq(c.nets[1].mac[5], 0x01);
	ck_assert(c.rng);
	ck_assert_int_eq(parse(&c, &e, "--raw", "g", "--timeout", "30", "--report", "r.json", NULL), CLI_RUN);
	ck_assert_uint_eq(c.timeout_s, 30);
	ck_assert_str_eq(c.report, "r.json");
	ck_assert_int_eq(parse(&c, &e, "--kernel", "k", NULL), CLI_RUN);
	ck_assert_uint_eq(c.timeout_s, 0);
	ck_assert_ptr_null(c.report);
	ck_assert_uint_eq(c.nr_disks + c.nr_nets, 0);
	ck_assert(!c.rng);
	/* Tiny guests may drive devices too, at the fixed addresses. */
	ck_assert_int_eq(parse(&c, &e, "--raw", "g", "--disk", "d.img", "--rng", NULL), CLI_RUN);
	ck_assert_uint_eq(c.nr_disks, 1);
	ck_assert(c.rng);
}
END_TEST

START_TEST(virtio_device_errors)
{
	expect_error("no path", "--kernel", "k", "--disk", ",ro", NULL);
	expect_error("no path", "--kernel", "k", "--disk", "", NULL);
	expect_error("only 'ro'", "--kernel", "k", "--disk", "a.img,rw", NULL);
	expect_error("only 'ro'", "--kernel", "k", "--disk", "a.img,ro,ro", NULL);
	expect_error("names no tap", "--kernel", "k", "--net", "mac=02:00:00:00:00:01", NULL);
	expect_error("names no tap", "--kernel", "k", "--net", "", NULL);
	expect_error("1 to 15 characters", "--kernel", "k", "--net", "tap=", NULL);
	expect_error("1 to 15 characters", "--kernel", "k", "--net", "tap=abcdefghijklmnop", NULL);
	expect_error("unicast MAC", "--kernel", "k", "--net", "tap=t,mac=01:00:5e:00:00:01", NULL);
	expect_error("unicast MAC", "--kernel", "k", "--net", "tap=t,mac=02:00:00:00:00", NULL);
	expect_error("unicast MAC", "--kernel", "k", "--net", "tap=t,mac=02-00-00-00-00-01", NULL);
	expect_error("unicast MAC", "--kernel", "k", "--net", "tap=t,mac=0x:00:00:00:00:01", NULL);
	expect_error("unknown item", "--kernel", "k", "--net", "tap=t,vhost=on", NULL);
	expect_error("--timeout", "--kernel", "k", "--timeout", "0", NULL);
	expect_error("--timeout", "--kernel", "k", "--timeout", "1h", NULL);
	expect_error("--timeout", "--kernel", "k", "--timeout", "604801", NULL);
	expect_error("at most 4 network", "--kernel", "k", "--net", "tap=a", "--net", "tap=b",
		     "--net", "tap=c", "--net", "tap=d", "--net", "tap=e", NULL);
	expect_error("at most 8 virtio", "--kernel", "k", "--disk", "1", "--disk", "2",
		     "--disk", "3", "--disk", "4", "--disk", "5", "--disk", "6",
		     "--disk", "7", "--disk", "8", "--rng", NULL);
	expect_error("at most 8 disks", "--kernel", "k", "--disk", "1", "--disk", "2",
		     "--disk", "3", "--disk", "4", "--disk", "5", "--disk", "6",
		     "--disk", "7", "--disk", "8", "--disk", "9", NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cli");
	TCase *t = tcase_create("core");

	tcase_add_test(t, defaults_and_values);
	tcase_add_test(t, help_and_version);
	tcase_add_test(t, bad_input_gets_one_line_errors);
	tcase_add_test(t, virtio_device_options);
	tcase_add_test(t, virtio_device_errors);
	suite_add_tcase(s, t);
	return s;
}
