/* SPDX-License-Identifier: MIT */
/* virtio_vm.c: the devices' windows and IRQs as announced on the kernel
 * command line, and as the --report file lists them. */
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "guest_mem.h"
#include "layout.h"
#include "report.h"
#include "virtio_vm.h"

static struct guest_mem mem;
static char img[2][64];

static void setup(void)
{
	struct err e;

	/* Layout only: the devices never touch guest RAM here. */
	ck_assert_int_eq(guest_mem_layout(&mem, 64ULL << 20, &e), 0);
	for (int i = 0; i < 2; i++) {
		int fd;

		strcpy(img[i], "/tmp/tpt-vvm-XXXXXX");
		fd = mkstemp(img[i]);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
		close(fd);
	}
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++)
		unlink(img[i]);
}

static void config(struct vm_config *cfg, unsigned int disks, bool rng)
{
	memset(cfg, 0, sizeof(*cfg));
	for (unsigned int i = 0; i < disks; i++) {
		strcpy(cfg->disks[i].path, img[i]);
		cfg->disks[i].ro = i == 1;
	}
	cfg->nr_disks = disks;
	cfg->rng = rng;
}

START_TEST(cmdline_lists_every_device)
{
	struct vm_config cfg;
	struct virtio_vm v;
	struct err e;
	char *c;

	config(&cfg, 2, true);
	ck_assert_int_eq(virtio_vm_create(&v, &cfg, &mem, &e), 0);
	c = virtio_vm_cmdline(&v, "console=ttyS0", &e);
	ck_assert_ptr_nonnull(c);
	/* Disks first, in order, then the rng: windows 4 KiB apart, free IRQs. */
	ck_assert_str_eq(c, "console=ttyS0"
			 " virtio_mmio.device=512@0xd0000000:5"
			 " virtio_mmio.device=512@0xd0001000:6"
			 " virtio_mmio.device=512@0xd0002000:7");
	free(c);
	virtio_vm_destroy(&v);
}
END_TEST

START_TEST(cmdline_without_devices_is_the_base)
{
	struct vm_config cfg;
	struct virtio_vm v;
	struct err e;
	char *c;

	config(&cfg, 0, false);
	ck_assert_int_eq(virtio_vm_create(&v, &cfg, &mem, &e), 0);
	c = virtio_vm_cmdline(&v, "", &e);
	ck_assert_str_eq(c, "");
	free(c);
	virtio_vm_destroy(&v);
}
END_TEST

START_TEST(irqs_are_free_and_distinct)
{
	for (unsigned int i = 0; i < VM_MAX_VIRTIO; i++) {
		unsigned int irq = virtio_vm_irq(i);

		ck_assert_uint_ne(irq, PIT_IRQ);
		ck_assert_uint_ne(irq, 2);	/* cascade */
		ck_assert_uint_ne(irq, UART_COM1_IRQ);
		ck_assert_uint_ne(irq, ACPI_SCI_IRQ);
		ck_assert_uint_lt(irq, 16);
		for (unsigned int j = 0; j < i; j++)
			ck_assert_uint_ne(irq, virtio_vm_irq(j));
	}
	ck_assert_uint_eq(virtio_vm_irq(VM_MAX_VIRTIO), 0);
}
END_TEST

START_TEST(report_matches_cmdline)
{
	struct vm_config cfg;
	struct virtio_vm v;
	struct report r;
	struct err e;

	config(&cfg, 2, true);
	cfg.cpus = 1;
	ck_assert_int_eq(virtio_vm_create(&v, &cfg, &mem, &e), 0);
	report_init(&r, &cfg);
	virtio_vm_report(&v, &r);
	ck_assert_uint_eq(r.nr_devices, 3);
	ck_assert_str_eq(r.devices[0].name, "virtio-blk 0");
	ck_assert_str_eq(r.devices[1].name, "virtio-blk 1");
	ck_assert_str_eq(r.devices[2].name, "virtio-rng 0");
	ck_assert_str_eq(r.devices[2].type, "virtio-rng");
	for (unsigned int i = 0; i < 3; i++) {
		ck_assert_uint_eq(r.devices[i].mmio_base, VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_STRIDE);
		ck_assert_uint_eq(r.devices[i].irq, virtio_vm_irq(i));
		ck_assert_uint_eq(r.devices[i].requests, 0);
		ck_assert_uint_eq(r.devices[i].needs_reset, 0);
		ck_assert_ptr_null(r.devices[i].needs_reset_reason);
	}
	virtio_vm_destroy(&v);
}
END_TEST

START_TEST(missing_disk_refused_before_kvm)
{
	struct vm_config cfg;
	struct virtio_vm v;
	struct err e;

	config(&cfg, 1, false);
	strcpy(cfg.disks[0].path, "/nonexistent/tpt.img");
	ck_assert_int_eq(virtio_vm_create(&v, &cfg, &mem, &e), -1);
	ck_assert_str_eq(e.msg, "--disk /nonexistent/tpt.img: No such file or directory");
	virtio_vm_destroy(&v);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_vm");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, cmdline_lists_every_device);
	tcase_add_test(t, cmdline_without_devices_is_the_base);
	tcase_add_test(t, irqs_are_free_and_distinct);
	tcase_add_test(t, report_matches_cmdline);
	tcase_add_test(t, missing_disk_refused_before_kvm);
	suite_add_tcase(s, t);
	return s;
}
