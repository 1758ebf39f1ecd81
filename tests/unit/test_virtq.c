/* SPDX-License-Identifier: MIT */
/* Split virtqueues in a fake guest memory: valid chains, and the hostile
 * ones a driver can build (vmm-notes.md's list). */
#include "test_main.h"

#include <string.h>

#include "guest_mem.h"
#include "virtq.h"

#define DESC	0x10000ULL
#define AVAIL	0x11000ULL
#define USED	0x12000ULL
#define DATA	0x100000ULL
#define IND	0x20000ULL

static struct guest_mem mem;
static struct virtq q;
static struct virtq_chain c;
static struct err e;

static void setup(void)
{
	struct guest_mem_opts o = { 0 };

	ck_assert_int_eq(guest_mem_alloc(&mem, 64ULL << 20, &o, &e), 0);
	virtq_reset(&q);
	q.size = 8;
	q.desc_gpa = DESC;
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
}

static void teardown(void)
{
	guest_mem_free(&mem);
}

static void put_desc(uint64_t table, unsigned int i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t d[16];

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	ck_assert_int_eq(guest_write(&mem, table + 16ULL * i, d, 16), 0);
}

static void set_avail_idx(uint16_t idx)
{
	ck_assert_int_eq(guest_write(&mem, AVAIL + 2, &idx, 2), 0);
}

/* Makes @head the next available chain. */
static void offer(uint16_t head)
{
	uint16_t idx;

	ck_assert_int_eq(guest_read(&mem, AVAIL + 2, &idx, 2), 0);
	ck_assert_int_eq(guest_write(&mem, AVAIL + 4 + 2ULL * (idx % q.size), &head, 2), 0);
	set_avail_idx((uint16_t)(idx + 1));
}

/* An empty 8-entry queue again, rings zeroed, same memory. */
static void fresh_queue(void)
{
	memset(guest_ptr(&mem, DESC, 0x3000), 0, 0x3000);
	virtq_reset(&q);
	q.size = 8;
	q.desc_gpa = DESC;
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
}

static void activate(void)
{
	ck_assert_int_eq(virtq_activate(&q, &mem, &e), 0);
}

static void expect_broken(void)
{
	ck_assert_int_eq(virtq_pop(&q, &mem, &c, &e), -1);
	ck_assert(q.broken);
	/* Broken stays broken. */
	ck_assert_int_eq(virtq_pop(&q, &mem, &c, &e), -1);
}

START_TEST(valid_chain_and_push)
{
	uint16_t used_idx;
	uint32_t elem[2];

	activate();
	ck_assert_int_eq(virtq_pop(&q, &mem, &c, &e), 0);	/* nothing yet */
	put_desc(DESC, 3, DATA, 16, VRING_DESC_F_NEXT, 5);
	put_desc(DESC, 5, DATA + 0x1000, 32, VRING_DESC_F_WRITE, 0);
	offer(3);
	ck_assert_int_eq(virtq_pop(&q, &mem, &c, &e), 1);
	ck_assert_uint_eq(c.head, 3);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(c.n_readable, 1);
	ck_assert_uint_eq(c.readable_len, 16);
	ck_assert_uint_eq(c.writable_len, 32);
	ck_assert(c.buf[1].device_writes);
	ck_assert_int_eq(virtq_pop(&q, &mem, &c, &e), 0);
	ck_assert_int_eq(virtq_push(&q, 3, 32, &e), 0);
	ck_assert_int_eq(guest_read(&mem, USED + 2, &used_idx, 2), 0);
	ck_assert_int_eq(guest_read(&mem, USED + 4, elem, 8), 0);
	ck_assert_uint_eq(used_idx, 1);
	ck_assert_uint_eq(elem[0], 3);
	ck_assert_uint_eq(elem[1], 32);
	/* Indexes wrap at 2^16, the ring at its size. */
	for (unsigned int i = 0; i < 70000; i++) {
		offer(3);
		ck_assert_int_eq(virtq_pop(&q, &mem, &c, &e), 1);
		ck_assert_int_eq(virtq_push(&q, c.head, 0, &e), 0);
	}
	ck_assert(!q.broken);
}
END_TEST

START_TEST(layout_is_checked)
{
	static const uint16_t bad_sizes[] = { 0, 3, 12, 512 };

	for (unsigned int i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		q.size = bad_sizes[i];
		ck_assert_int_eq(virtq_activate(&q, &mem, &e), -1);
		ck_assert(!q.ready);
	}
	q.size = 8;
	q.desc_gpa = DESC + 8;
	ck_assert_int_eq(virtq_activate(&q, &mem, &e), -1);
	q.desc_gpa = DESC;
	q.used_gpa = USED + 2;
	ck_assert_int_eq(virtq_activate(&q, &mem, &e), -1);
	q.used_gpa = (64ULL << 20) - 8;		/* runs off the end of RAM */
	ck_assert_int_eq(virtq_activate(&q, &mem, &e), -1);
	q.used_gpa = USED;
	q.avail_gpa = UINT64_MAX - 1;
	ck_assert_int_eq(virtq_activate(&q, &mem, &e), -1);
	q.avail_gpa = AVAIL;
	activate();
	ck_assert(q.ready);
	/* A queue that is not ready yields nothing. */
	virtq_reset(&q);
	ck_assert_int_eq(virtq_pop(&q, &mem, &c, &e), 0);
}
END_TEST

START_TEST(cyclic_chain)
{
	activate();
	put_desc(DESC, 0, DATA, 8, VRING_DESC_F_NEXT, 1);
	put_desc(DESC, 1, DATA, 8, VRING_DESC_F_NEXT, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(self_loop)
{
	activate();
	put_desc(DESC, 2, DATA, 8, VRING_DESC_F_NEXT, 2);
	offer(2);
	expect_broken();
}
END_TEST

START_TEST(next_past_size)
{
	activate();
	put_desc(DESC, 0, DATA, 8, VRING_DESC_F_NEXT, 8);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(head_past_size)
{
	activate();
	offer(8);
	expect_broken();
}
END_TEST

START_TEST(avail_index_jump)
{
	activate();
	set_avail_idx(9);
	expect_broken();
}
END_TEST

START_TEST(address_length_overflow)
{
	activate();
	put_desc(DESC, 0, UINT64_MAX - 0xf, 0x20, 0, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(buffer_past_ram)
{
	activate();
	put_desc(DESC, 0, (64ULL << 20) - 4, 8, 0, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(buffer_across_the_mmio_hole)
{
	struct guest_mem_opts o = { 0 };
	struct guest_mem big;

	/* 3.5 GiB: RAM ends at 3 GiB, resumes at 4 GiB (nothing is touched). */
	ck_assert_int_eq(guest_mem_alloc(&big, 3584ULL << 20, &o, &e), 0);
	ck_assert_ptr_nonnull(guest_ptr(&big, (3ULL << 30) - 16, 16));
	ck_assert_ptr_nonnull(guest_ptr(&big, 4ULL << 30, 16));
	activate();
	put_desc(DESC, 0, (3ULL << 30) - 16, 32, 0, 0);
	{
		uint8_t d[16];

		memcpy(d, guest_ptr(&mem, DESC, 16), 16);
		ck_assert_int_eq(guest_write(&big, DESC, d, 16), 0);
	}
	q.ready = false;
	ck_assert_int_eq(virtq_activate(&q, &big, &e), 0);
	{
		uint16_t head = 0, idx = 1;

		ck_assert_int_eq(guest_write(&big, AVAIL + 4, &head, 2), 0);
		ck_assert_int_eq(guest_write(&big, AVAIL + 2, &idx, 2), 0);
	}
	ck_assert_int_eq(virtq_pop(&q, &big, &c, &e), -1);
	ck_assert(q.broken);
	guest_mem_free(&big);
}
END_TEST

START_TEST(zero_length)
{
	activate();
	put_desc(DESC, 0, DATA, 0, 0, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(readable_after_writable)
{
	activate();
	put_desc(DESC, 0, DATA, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put_desc(DESC, 1, DATA, 8, 0, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(indirect_valid)
{
	activate();
	put_desc(IND, 0, DATA, 8, VRING_DESC_F_NEXT, 2);
	put_desc(IND, 2, DATA + 64, 100, VRING_DESC_F_WRITE, 0);
	put_desc(DESC, 0, IND, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	ck_assert_int_eq(virtq_pop(&q, &mem, &c, &e), 1);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(c.writable_len, 100);
}
END_TEST

START_TEST(indirect_bad_tables)
{
	/* { length, flags of the indirect descriptor } that must be refused */
	static const struct { uint32_t len; uint16_t flags; } bad[] = {
		{ 0, VRING_DESC_F_INDIRECT },
		{ 24, VRING_DESC_F_INDIRECT },
		{ 16 * (VIRTQ_MAX_CHAIN + 1), VRING_DESC_F_INDIRECT },
		{ 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT },
	};

	put_desc(IND, 0, DATA, 8, 0, 0);
	put_desc(IND, 1, DATA, 8, 0, 0);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fresh_queue();
		activate();
		put_desc(DESC, 0, IND, bad[i].len, bad[i].flags, 1);
		put_desc(DESC, 1, DATA, 8, 0, 0);
		offer(0);
		expect_broken();
	}
}
END_TEST

START_TEST(indirect_loops_and_nesting)
{
	activate();
	/* next back to the start */
	put_desc(IND, 0, DATA, 8, VRING_DESC_F_NEXT, 1);
	put_desc(IND, 1, DATA, 8, VRING_DESC_F_NEXT, 0);
	put_desc(DESC, 0, IND, 32, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();

	fresh_queue();
	activate();
	/* next past the table */
	put_desc(IND, 0, DATA, 8, VRING_DESC_F_NEXT, 2);
	put_desc(DESC, 0, IND, 32, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();

	fresh_queue();
	activate();
	/* an indirect table inside an indirect table */
	put_desc(IND, 0, IND, 16, VRING_DESC_F_INDIRECT, 0);
	put_desc(DESC, 0, IND, 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(over_long_chain)
{
	/* 256-entry queue, a full direct chain, then an indirect table:
	 * more buffers than any request may have. */
	q.size = VIRTQ_MAX_SIZE;
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
	activate();
	for (unsigned int i = 0; i < 255; i++)
		put_desc(DESC, i, DATA, 8, VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	put_desc(DESC, 255, IND, 32, VRING_DESC_F_INDIRECT, 0);
	put_desc(IND, 0, DATA, 8, VRING_DESC_F_NEXT, 1);
	put_desc(IND, 1, DATA, 8, 0, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(push_is_checked)
{
	ck_assert_int_eq(virtq_push(&q, 0, 0, &e), -1);	/* not ready */
	activate();
	ck_assert_int_eq(virtq_push(&q, 8, 0, &e), -1);
	ck_assert(q.broken);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtq");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, valid_chain_and_push);
	tcase_add_test(t, layout_is_checked);
	tcase_add_test(t, cyclic_chain);
	tcase_add_test(t, self_loop);
	tcase_add_test(t, next_past_size);
	tcase_add_test(t, head_past_size);
	tcase_add_test(t, avail_index_jump);
	tcase_add_test(t, address_length_overflow);
	tcase_add_test(t, buffer_past_ram);
	tcase_add_test(t, buffer_across_the_mmio_hole);
	tcase_add_test(t, zero_length);
	tcase_add_test(t, readable_after_writable);
	tcase_add_test(t, indirect_valid);
	tcase_add_test(t, indirect_bad_tables);
	tcase_add_test(t, indirect_loops_and_nesting);
	tcase_add_test(t, over_long_chain);
	tcase_add_test(t, push_is_checked);
	suite_add_tcase(s, t);
	return s;
}
