/* SPDX-License-Identifier: MIT */
/* virtio-mmio register model: the driver's init sequence, and the writes a
 * hostile driver makes out of place. */
#include "test_main.h"

#include <endian.h>
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
	ck_assert_int_eq(virtio_mmio_init(&t, &ops, &f, &mem, &e), 0);
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

START_TEST(init_refuses_what_the_transport_lacks)
{
	struct virtio_dev_ops big = ops;
	struct virtio_mmio t2;
	struct err e;

	big.num_queues = VIRTIO_MMIO_MAX_QUEUES + 1;
	ck_assert_int_eq(virtio_mmio_init(&t2, &big, NULL, &mem, &e), -1);
	ck_assert_str_eq(e.msg, "virtio-mmio: device 4 asks for 9 queues of 8, 8 config bytes (at most 8 of 256, 256)");
	big = ops;
	big.config_len = VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG + 1;
	ck_assert_int_eq(virtio_mmio_init(&t2, &big, NULL, &mem, &e), -1);
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

/* ---- the drain: the transport pops, the device's serve op serves ---- */

#define DESC_GPA	0x10000ULL	/* avail at +0x1000, used at +0x2000 */
#define BUF_GPA		0x20000ULL	/* chain with head h: 16 bytes at + 0x100 * h */

static struct {
	unsigned int calls;
	uint16_t heads[64];
	uint16_t used_idx_seen[64];	/* used->idx in guest memory while serving */
	uint16_t used_flags_seen[64];
	unsigned int later_at;		/* this call (1-based) returns false; 0: never */
	bool reset_at_first;		/* the driver resets the device mid-request */
} sv;

static uint16_t guest16(uint64_t gpa)
{
	uint16_t v;

	ck_assert_int_eq(guest_read(&mem, gpa, &v, 2), 0);
	return le16toh(v);
}

static bool serve(void *dev, unsigned int q, const struct virtq_chain *c, uint32_t *written)
{
	unsigned int i = sv.calls++;

	(void)dev;
	ck_assert_uint_eq(q, 0);
	ck_assert_uint_lt(i, 64);
	sv.heads[i] = c->head;
	sv.used_idx_seen[i] = guest16(DESC_GPA + 0x2000 + 2);
	sv.used_flags_seen[i] = guest16(DESC_GPA + 0x2000);
	/* The buffer's host pointer was resolved at pop. */
	ck_assert_ptr_eq(c->buf[0].hva, guest_ptr(&mem, BUF_GPA + 0x100ULL * c->head, 16));
	if (sv.reset_at_first && i == 0)
		wr(VIRTIO_MMIO_STATUS, 0);
	if (sv.later_at == i + 1)
		return false;
	*written = 100 + c->head;
	return true;
}

static const struct virtio_dev_ops drain_ops = {
	.device_id = 4, .num_queues = 1, .queue_max = 64, .serve = serve,
};

static void drain_setup(void)
{
	struct guest_mem_opts o = { 0 };
	struct err e;

	ck_assert_int_eq(guest_mem_alloc(&mem, 64ULL << 20, &o, &e), 0);
	memset(&sv, 0, sizeof(sv));
	ck_assert_int_eq(virtio_mmio_init(&t, &drain_ops, NULL, &mem, &e), 0);
	negotiate();
	setup_queue(0, 64, DESC_GPA);
	wr(VIRTIO_MMIO_STATUS, 15);
}

/* Offers @n one-buffer chains, heads @first.. in order. */
static void offer_chains(uint16_t first, unsigned int n)
{
	uint16_t idx = guest16(DESC_GPA + 0x1000 + 2);

	for (unsigned int i = 0; i < n; i++) {
		uint16_t h = (uint16_t)(first + i);
		uint64_t a = htole64(BUF_GPA + 0x100ULL * h);
		uint32_t l = htole32(16);
		uint16_t fl = htole16(VRING_DESC_F_WRITE), nx = 0, he = htole16(h);

		guest_write(&mem, DESC_GPA + 16ULL * h, &a, 8);
		guest_write(&mem, DESC_GPA + 16ULL * h + 8, &l, 4);
		guest_write(&mem, DESC_GPA + 16ULL * h + 12, &fl, 2);
		guest_write(&mem, DESC_GPA + 16ULL * h + 14, &nx, 2);
		guest_write(&mem, DESC_GPA + 0x1000 + 4 + 2ULL * (idx % 64), &he, 2);
		idx++;
	}
	idx = htole16(idx);
	guest_write(&mem, DESC_GPA + 0x1000 + 2, &idx, 2);
}

START_TEST(drain_publishes_once_per_batch)
{
	offer_chains(0, 3);
	ck_assert_int_eq(virtio_mmio_drain(&t, 0), VIRTIO_DRAIN_EMPTY);
	ck_assert_uint_eq(sv.calls, 3);
	for (unsigned int i = 0; i < 3; i++) {
		uint32_t elem[2];

		ck_assert_uint_eq(sv.heads[i], i);
		/* Nothing published while serving; notifications suppressed. */
		ck_assert_uint_eq(sv.used_idx_seen[i], 0);
		ck_assert_uint_eq(sv.used_flags_seen[i], VRING_USED_F_NO_NOTIFY);
		guest_read(&mem, DESC_GPA + 0x2000 + 4 + 8ULL * i, elem, 8);
		ck_assert_uint_eq(le32toh(elem[0]), i);
		ck_assert_uint_eq(le32toh(elem[1]), 100 + i);
	}
	ck_assert_uint_eq(guest16(DESC_GPA + 0x2000 + 2), 3);
	ck_assert_uint_eq(guest16(DESC_GPA + 0x2000), 0);	/* notifications back on */
	ck_assert_uint_eq(t.interrupts, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
}
END_TEST

START_TEST(drain_batch_limit)
{
	offer_chains(0, 40);
	ck_assert_int_eq(virtio_mmio_drain(&t, 0), VIRTIO_DRAIN_EMPTY);
	ck_assert_uint_eq(sv.calls, 40);
	ck_assert_uint_eq(sv.used_idx_seen[VIRTIO_DRAIN_BATCH - 1], 0);
	ck_assert_uint_eq(sv.used_idx_seen[VIRTIO_DRAIN_BATCH], VIRTIO_DRAIN_BATCH);
	ck_assert_uint_eq(sv.used_idx_seen[39], VIRTIO_DRAIN_BATCH);
	ck_assert_uint_eq(guest16(DESC_GPA + 0x2000 + 2), 40);
}
END_TEST

START_TEST(drain_later_leaves_the_chain)
{
	offer_chains(0, 3);
	sv.later_at = 2;
	ck_assert_int_eq(virtio_mmio_drain(&t, 0), VIRTIO_DRAIN_LATER);
	ck_assert_uint_eq(sv.calls, 2);
	ck_assert_uint_eq(guest16(DESC_GPA + 0x2000 + 2), 1);	/* the first, completed */
	ck_assert_uint_eq(guest16(DESC_GPA + 0x2000), 0);
	/* The next drain starts with the chain that was left. */
	ck_assert_int_eq(virtio_mmio_drain(&t, 0), VIRTIO_DRAIN_EMPTY);
	ck_assert_uint_eq(sv.calls, 4);
	ck_assert_uint_eq(sv.heads[2], 1);
	ck_assert_uint_eq(sv.heads[3], 2);
	ck_assert_uint_eq(guest16(DESC_GPA + 0x2000 + 2), 3);
}
END_TEST

START_TEST(reset_during_serve_drops_completions)
{
	offer_chains(0, 2);
	sv.reset_at_first = true;
	ck_assert_int_eq(virtio_mmio_drain(&t, 0), VIRTIO_DRAIN_STOPPED);
	ck_assert_uint_eq(sv.calls, 1);
	/* Nothing was completed into the rings the driver gave up. */
	ck_assert_uint_eq(guest16(DESC_GPA + 0x2000 + 2), 0);
	ck_assert_uint_eq(t.interrupts, 0);
	ck_assert_int_eq(virtio_mmio_drain(&t, 0), VIRTIO_DRAIN_STOPPED);	/* not running */
}
END_TEST

START_TEST(notify_without_op_drains)
{
	offer_chains(0, 2);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);	/* no kick eventfd: served right here */
	ck_assert_uint_eq(sv.calls, 2);
	ck_assert_uint_eq(guest16(DESC_GPA + 0x2000 + 2), 2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_mmio");
	TCase *tc = tcase_create("core"), *dc;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identity_and_init_sequence);
	tcase_add_test(tc, queue_registers_frozen_after_driver_ok);
	tcase_add_test(tc, queue_registers_need_features_ok);
	tcase_add_test(tc, feature_negotiation);
	tcase_add_test(tc, bad_queue_setup_needs_reset);
	tcase_add_test(tc, selectors_widths_and_unknown_registers);
	tcase_add_test(tc, reset_clears_everything);
	tcase_add_test(tc, init_refuses_what_the_transport_lacks);
	suite_add_tcase(s, tc);
	dc = tcase_create("drain");
	tcase_add_checked_fixture(dc, drain_setup, teardown);
	tcase_add_test(dc, drain_publishes_once_per_batch);
	tcase_add_test(dc, drain_batch_limit);
	tcase_add_test(dc, drain_later_leaves_the_chain);
	tcase_add_test(dc, reset_during_serve_drops_completions);
	tcase_add_test(dc, notify_without_op_drains);
	suite_add_tcase(s, dc);
	return s;
}
