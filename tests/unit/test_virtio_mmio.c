/* SPDX-License-Identifier: MIT */
/* virtio-mmio register model: the driver's init sequence, and the writes a
 * hostile driver makes out of place. */
#include "test_main.h"

#include <string.h>

#include "guest_mem.h"
#include "virtio_mmio.h"

struct fake {
	unsigned int notified[VIRTIO_MMIO_MAX_QUEUES];
	int level;
	unsigned int resets;
	uint8_t config[8];
};

static void cfg_read(void *dev, uint32_t off, void *out, uint32_t len)
{
	memcpy(out, ((struct fake *)dev)->config + off, len);
}

static void notify(void *dev, struct virtio_mmio *t, unsigned int q)
{
	(void)t;
	((struct fake *)dev)->notified[q]++;
}

static void reset(void *dev)
{
	((struct fake *)dev)->resets++;
}

static void irq(void *dev, int level)
{
	((struct fake *)dev)->level = level;
}

static const struct virtio_dev_ops ops = {
	.device_id = 4, .features = 1ULL << 5, .num_queues = 2, .queue_max = 8,
	.config_len = 8, .config_read = cfg_read, .notify = notify, .reset = reset,
	.irq = irq,
};

static struct guest_mem mem;
static struct virtio_mmio t;
static struct fake f;

static void setup(void)
{
	struct guest_mem_opts o = { 0 };
	struct err e;

	ck_assert_int_eq(guest_mem_alloc(&mem, 64ULL << 20, &o, &e), 0);
	memset(&f, 0, sizeof(f));
	memcpy(f.config, "CONFIG!!", 8);
	ck_assert_int_eq(virtio_mmio_init(&t, &ops, &f, &mem), 0);
}

static void teardown(void)
{
	virtio_mmio_destroy(&t);
	guest_mem_free(&mem);
}

static uint32_t rd(uint64_t off)
{
	uint32_t v;

	virtio_mmio_read(&t, off, &v, 4);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_write(&t, off, &v, 4);
}

static void negotiate(void)
{
	wr(VIRTIO_MMIO_STATUS, 1);
	wr(VIRTIO_MMIO_STATUS, 3);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);		/* VERSION_1 */
	wr(VIRTIO_MMIO_STATUS, 3 | 8);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 11);
}

static void setup_queue(unsigned int q, uint32_t size, uint64_t desc)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, q);
	wr(VIRTIO_MMIO_QUEUE_NUM, size);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)(desc + 0x1000));
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(desc + 0x2000));
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

START_TEST(identity_and_init_sequence)
{
	uint8_t c[8];

	ck_assert_uint_eq(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_VERSION), 2);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_ID), 4);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1);	/* VERSION_1 in the high word */
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1u << 5);
	negotiate();
	setup_queue(0, 8, 0x10000);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_STATUS, 15);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 15);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert_uint_eq(f.notified[0], 1);
	virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG, c, 8);
	ck_assert_mem_eq(c, "CONFIG!!", 8);
	virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + 6, c, 2);
	ck_assert_mem_eq(c, "!!", 2);
	ck_assert_uint_eq(t.refused_writes, 0);
}
END_TEST

START_TEST(queue_registers_frozen_after_driver_ok)
{
	negotiate();
	setup_queue(0, 8, 0x10000);
	wr(VIRTIO_MMIO_STATUS, 15);
	/* The Firecracker bug class: resize or move a live queue. */
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x50000);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	ck_assert_uint_eq(t.vq[0].size, 8);
	ck_assert_uint_eq(t.vq[0].desc_gpa, 0x10000);
	ck_assert_uint_eq(t.refused_writes, 3);
	/* A queue not set up before DRIVER_OK cannot be set up after it. */
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	ck_assert(!t.vq[1].ready);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ck_assert_uint_eq(f.notified[1], 0);
}
END_TEST

START_TEST(queue_registers_need_features_ok)
{
	wr(VIRTIO_MMIO_STATUS, 3);
	wr(VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	ck_assert(!t.vq[0].ready);
	ck_assert_uint_eq(t.refused_writes, 2);
	/* and a ready queue cannot be changed either */
	negotiate();
	setup_queue(0, 8, 0x10000);
	wr(VIRTIO_MMIO_QUEUE_NUM, 2);
	ck_assert_uint_eq(t.vq[0].size, 8);
}
END_TEST

START_TEST(feature_negotiation)
{
	wr(VIRTIO_MMIO_STATUS, 3);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1u << 5);	/* no VERSION_1: legacy drivers are refused */
	wr(VIRTIO_MMIO_STATUS, 11);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS) & 8, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1 | 2);	/* a feature the device does not offer */
	wr(VIRTIO_MMIO_STATUS, 11);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS) & 8, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(VIRTIO_MMIO_STATUS, 11);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS) & 8, 8);
	/* Features are fixed once accepted. */
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 3);
	ck_assert_uint_eq(t.driver_features >> 32, 1);
	/* DRIVER_OK without FEATURES_OK is refused; status bits cannot drop. */
	wr(VIRTIO_MMIO_STATUS, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 11);
}
END_TEST

START_TEST(bad_queue_setup_needs_reset)
{
	negotiate();
	setup_queue(0, 8, (64ULL << 20) - 0x1000);	/* rings run off RAM */
	ck_assert(!t.vq[0].ready);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	ck_assert_int_eq(f.level, 1);
	/* Counted once, with the first reason kept. */
	ck_assert_uint_eq(t.needs_reset, 1);
	ck_assert_str_eq(t.needs_reset_reason,
			 "queue 0: rings outside guest RAM (desc 0x3fff000, avail 0x4000000, used 0x4001000)");
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	ck_assert_int_eq(f.level, 0);
	/* Sizes above the maximum or not a power of two never get ready. */
	wr(VIRTIO_MMIO_STATUS, 0);
	negotiate();
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 16);
	ck_assert_uint_eq(t.refused_writes, 1);
	setup_queue(0, 6, 0x10000);
	ck_assert(!t.vq[0].ready);
}
END_TEST

START_TEST(selectors_widths_and_unknown_registers)
{
	uint64_t v64 = 0;
	uint16_t v16 = 0xffff;

	wr(VIRTIO_MMIO_QUEUE_SEL, 7);		/* no such queue */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	negotiate();
	wr(VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 7);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	ck_assert_uint_eq(f.notified[0] + f.notified[1], 0);
	virtio_mmio_read(&t, VIRTIO_MMIO_MAGIC_VALUE, &v16, 2);	/* registers are 32-bit only */
	ck_assert_uint_eq(v16, 0);
	virtio_mmio_read(&t, VIRTIO_MMIO_MAGIC_VALUE, &v64, 8);
	ck_assert_uint_eq(v64, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_CONFIG_GENERATION - 0xc), 0);	/* no register there */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_SIZE - 4), 0);	/* past the config space */
	virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + 6, &v64, 4);	/* straddles its end */
	ck_assert_uint_eq(v64, 0);
	virtio_mmio_read(&t, ~0ULL, &v64, 8);
	wr(VIRTIO_MMIO_CONFIG, 1);				/* config is read-only */
	virtio_mmio_write(&t, VIRTIO_MMIO_STATUS, &v16, 2);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 11);
}
END_TEST

START_TEST(reset_clears_everything)
{
	negotiate();
	setup_queue(0, 8, 0x10000);
	wr(VIRTIO_MMIO_STATUS, 15);
	virtio_mmio_signal_used(&t);
	ck_assert_int_eq(f.level, 1);
	wr(VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(f.resets, 1);
	ck_assert_int_eq(f.level, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	ck_assert(!t.vq[0].ready);
	ck_assert_uint_eq(t.driver_features, 0);
	/* and the device can be set up again */
	negotiate();
	setup_queue(0, 8, 0x10000);
	ck_assert(t.vq[0].ready);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_mmio");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identity_and_init_sequence);
	tcase_add_test(tc, queue_registers_frozen_after_driver_ok);
	tcase_add_test(tc, queue_registers_need_features_ok);
	tcase_add_test(tc, feature_negotiation);
	tcase_add_test(tc, bad_queue_setup_needs_reset);
	tcase_add_test(tc, selectors_widths_and_unknown_registers);
	tcase_add_test(tc, reset_clears_everything);
	suite_add_tcase(s, tc);
	return s;
}
