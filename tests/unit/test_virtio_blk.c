/* SPDX-License-Identifier: MIT */
/* virtio_blk.c, driven through the virtio-mmio registers: reads, writes, flushes
 * and get-id do what they say on an image file; bad requests fail alone; a
 * hostile chain breaks the device, never the VMM. */
#include "test_main.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include "virtio_blk.h"
#include "virtio_test_driver.h"

static char img_path[64];

static struct virtio_blk blk;

static struct drv bd[1];

#define IMG_SECTORS	2048	/* 1 MiB */

static void blk_open(bool ro)
{
	struct err e;
	int fd;

	strcpy(img_path, "/tmp/tpt-blk-XXXXXX");
	fd = mkstemp(img_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, IMG_SECTORS * 512), 0);
	close(fd);
	ck_assert_int_eq(virtio_blk_init(&blk, img_path, ro, &mem, &e), 0);
	drv_start(bd, &blk.t, 1);
}

static void blk_setup(void)
{
	mem_setup();
	blk_open(false);
}

static void blk_teardown(void)
{
	virtio_blk_destroy(&blk);
	unlink(img_path);
	mem_teardown();
}

#define HDR_GPA		(DATA_GPA)
#define STATUS_GPA	(DATA_GPA + 0x100)
#define BUF_GPA		(DATA_GPA + 0x1000)

static void put_hdr(uint32_t type, uint64_t sector)
{
	uint8_t h[16] = { 0 };
	uint32_t t = htole32(type);
	uint64_t s = htole64(sector);

	memcpy(h, &t, 4);
	memcpy(h + 8, &s, 8);
	ck_assert_int_eq(guest_write(&mem, HDR_GPA, h, 16), 0);
	ck_assert_int_eq(guest_write(&mem, STATUS_GPA, "\xee", 1), 0);
}

static uint8_t status_byte(void)
{
	uint8_t s;

	ck_assert_int_eq(guest_read(&mem, STATUS_GPA, &s, 1), 0);
	return s;
}

/* One request: header, one data buffer (device-readable for OUT), status. */
static uint32_t blk_req(uint32_t type, uint64_t sector, uint32_t len)
{
	struct seg s[3] = {
		{ HDR_GPA, 16, 0 },
		{ BUF_GPA, len, type != VIRTIO_BLK_T_OUT },
		{ STATUS_GPA, 1, 1 },
	};
	uint16_t head;

	put_hdr(type, sector);
	head = len ? drv_add(bd, s, 3) : drv_add(bd, (struct seg[]){ s[0], s[2] }, 2);
	drv_notify(bd, 0);
	return drv_used(bd, head);
}

static void image_read(uint64_t off, void *buf, size_t len)
{
	int fd = open(img_path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

START_TEST(blk_config_and_features)
{
	uint64_t cap;
	uint32_t seg_max;

	virtio_mmio_read(&blk.t, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_blk_config, capacity), &cap, 8);
	ck_assert_uint_eq(le64toh(cap), IMG_SECTORS);
	virtio_mmio_read(&blk.t, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_blk_config, seg_max),
			 &seg_max, 4);
	ck_assert_uint_ge(le32toh(seg_max), 2);
	ck_assert_uint_eq(rd(&blk.t, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	wr(&blk.t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	ck_assert(rd(&blk.t, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << 9));	/* FLUSH */
	ck_assert(!(rd(&blk.t, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << 5)));	/* not RO */
}
END_TEST

START_TEST(blk_write_flush_read_back)
{
	uint8_t pat[4096], back[4096];

	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7 + 3);
	ck_assert_int_eq(guest_write(&mem, BUF_GPA, pat, sizeof(pat)), 0);
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_OUT, 10, sizeof(pat)), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_FLUSH, 0, 0), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	image_read(10 * 512, back, sizeof(back));
	ck_assert_mem_eq(back, pat, sizeof(pat));

	memset(guest_ptr(&mem, BUF_GPA, sizeof(pat)), 0, sizeof(pat));
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_IN, 10, sizeof(pat)), sizeof(pat) + 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(guest_ptr(&mem, BUF_GPA, sizeof(pat)), pat, sizeof(pat));
	ck_assert_uint_eq(blk.st.writes, 1);
	ck_assert_uint_eq(blk.st.reads, 1);
	/* Notifications were suppressed while serving, and are back on. */
	{
		uint16_t flags;

		guest_read(&mem, bd->ring + 0x2000, &flags, 2);
		ck_assert_uint_eq(flags, 0);
	}
	ck_assert_uint_eq(blk.st.flushes, 1);
	ck_assert_uint_eq(blk.st.errors, 0);
	/* The last sector is reachable, the one after it is not. */
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_IN, IMG_SECTORS - 1, 512), 513);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(blk_split_header_and_scattered_data)
{
	uint8_t pat[1024];
	struct seg s[5] = {
		{ HDR_GPA, 8, 0 }, { HDR_GPA + 8, 8, 0 },
		{ BUF_GPA + 0x10000, 512, 0 }, { BUF_GPA + 0x20000, 512, 0 },
		{ STATUS_GPA, 1, 1 },
	};
	uint8_t back[1024];

	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i ^ 0x5a);
	guest_write(&mem, BUF_GPA + 0x10000, pat, 512);
	guest_write(&mem, BUF_GPA + 0x20000, pat + 512, 512);
	uint16_t h;

	put_hdr(VIRTIO_BLK_T_OUT, 100);
	h = drv_add(bd, s, 5);
	drv_notify(bd, 0);
	ck_assert_uint_eq(drv_used(bd, h), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	image_read(100 * 512, back, sizeof(back));
	ck_assert_mem_eq(back, pat, sizeof(pat));
}
END_TEST

START_TEST(blk_bad_requests_fail_alone)
{
	uint8_t zero[512] = { 0 }, back[512];

	guest_write(&mem, BUF_GPA, "\xff\xff\xff\xff", 4);
	/* Past the end, straddling the end, sector overflow, partial sectors. */
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_OUT, IMG_SECTORS, 512), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_OUT, IMG_SECTORS - 1, 1024), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_IN, 0xffffffffffffffffULL, 512), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_IN, (1ULL << 63) / 256, 512), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_OUT, 0, 100), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(blk_req(77, 0, 512), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(blk.st.errors, 6);
	image_read((IMG_SECTORS - 1) * 512ULL, back, 512);
	ck_assert_mem_eq(back, zero, 512);
	/* A header too short to read: answered with nothing written. */
	{
		struct seg s[2] = { { HDR_GPA, 8, 0 }, { STATUS_GPA, 1, 1 } };
		uint16_t h = drv_add(bd, s, 2);

		drv_notify(bd, 0);
		ck_assert_uint_eq(drv_used(bd, h), 0);
	}
	/* No status byte (no writable buffer) either. */
	{
		struct seg s[1] = { { HDR_GPA, 16, 0 } };
		uint16_t h;

		put_hdr(VIRTIO_BLK_T_FLUSH, 0);
		h = drv_add(bd, s, 1);
		drv_notify(bd, 0);
		ck_assert_uint_eq(drv_used(bd, h), 0);
	}
	/* The device still works. */
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_IN, 0, 512), 513);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(blk.t.broken_requests, 0);
}
END_TEST

START_TEST(blk_get_id)
{
	char id[21] = { 0 };
	const char *base = strrchr(img_path, '/') + 1;

	/* All 20 bytes of the ID field, NUL-padded, then the status. */
	memset(guest_ptr(&mem, BUF_GPA, 32), 0xcc, 32);
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_GET_ID, 0, 512), VIRTIO_BLK_ID_BYTES + 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	guest_read(&mem, BUF_GPA, id, 20);
	ck_assert_str_eq(id, base);
}
END_TEST

START_TEST(blk_read_only)
{
	uint8_t back[512], zero[512] = { 0 };

	virtio_blk_destroy(&blk);
	unlink(img_path);
	blk_open(true);
	wr(&blk.t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	ck_assert(rd(&blk.t, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << 5));	/* RO offered */
	memset(guest_ptr(&mem, BUF_GPA, 512), 0xab, 512);
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_OUT, 0, 512), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	image_read(0, back, 512);
	ck_assert_mem_eq(back, zero, 512);
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_IN, 0, 512), 513);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(blk_hostile_chain_breaks_device_not_vmm)
{
	uint8_t desc[16] = { 0 };
	uint64_t a = htole64(HDR_GPA);
	uint32_t l = htole32(16);
	uint16_t f = htole16(1), nx = htole16(0);	/* NEXT to itself */

	memcpy(desc, &a, 8);
	memcpy(desc + 8, &l, 4);
	memcpy(desc + 12, &f, 2);
	memcpy(desc + 14, &nx, 2);
	guest_write(&mem, bd->ring, desc, 16);
	put16(bd->ring + 0x1000 + 4, 0);
	put16(bd->ring + 0x1000 + 2, 1);
	drv_notify(bd, 0);
	ck_assert_uint_eq(used_idx(bd), 0);
	ck_assert(rd(&blk.t, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert(rd(&blk.t, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	ck_assert_uint_eq(blk.t.broken_requests, 1);
	ck_assert_uint_eq(blk.t.needs_reset, 1);
	ck_assert_ptr_nonnull(strstr(blk.t.needs_reset_reason, "queue 0: "));
	/* A buffer past the end of RAM: refused the same way after a reset. */
	wr(&blk.t, VIRTIO_MMIO_STATUS, 0);
	drv_start(bd, &blk.t, 1);
	{
		struct seg s[3] = { { HDR_GPA, 16, 0 }, { (64ULL << 20) - 256, 512, 1 },
				    { STATUS_GPA, 1, 1 } };

		put_hdr(VIRTIO_BLK_T_IN, 0);
		drv_add(bd, s, 3);
		drv_notify(bd, 0);
		ck_assert_uint_eq(used_idx(bd), 0);
		ck_assert(rd(&blk.t, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	}
	/* The second time is counted; the first reason stays. */
	ck_assert_uint_eq(blk.t.needs_reset, 2);
	ck_assert_ptr_nonnull(strstr(blk.t.needs_reset_reason, "loops"));
}
END_TEST

START_TEST(blk_thread_serves_notify_never_waits)
{
	struct seg s[3] = { { HDR_GPA, 16, 0 }, { BUF_GPA, 512, 0 }, { STATUS_GPA, 1, 1 } };
	struct err e;
	uint16_t head;

	ck_assert_int_eq(virtio_blk_start(&blk, &e), 0);
	memset(guest_ptr(&mem, BUF_GPA, 512), 0x5a, 512);
	put_hdr(VIRTIO_BLK_T_OUT, 3);
	head = drv_add(bd, s, 3);
	/* With the transport's lock held the disk cannot finish a request:
	 * a notification must still return, having only woken its thread. */
	pthread_mutex_lock(&blk.t.lock);
	virtio_mmio_notify(&blk.t, 0);
	pthread_mutex_unlock(&blk.t.lock);
	for (int i = 0; i < 3000 && used_idx(bd) == 0; i++)	/* 30 s: a loaded host */
		usleep(10000);
	ck_assert_uint_eq(drv_used(bd, head), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(blk.st.writes, 1);
	virtio_blk_stop(&blk);
	ck_assert(!blk.worker_started);
	/* Stopped: the notifying thread serves again. */
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_FLUSH, 0, 0), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
}
END_TEST

/*
 * A stand-in for KVM's device-write announcements (TPT verify mode): it
 * refuses any range over the page at fa.bad, as KVM does for a checked
 * page table, and counts what is announced and ended.
 */
static struct {
	uint64_t bad;
	unsigned int begins, live;
	uint32_t next;
} fa;

static int fake_begin(void *ctx, uint64_t gpa, uint64_t len, uint32_t *id)
{
	(void)ctx;
	fa.begins++;
	if (fa.bad && gpa < fa.bad + 4096 && gpa + len > fa.bad)
		return -EPERM;
	fa.live++;
	*id = ++fa.next;
	return 0;
}

static void fake_end(void *ctx, uint32_t id)
{
	(void)ctx;
	(void)id;
	fa.live--;
}

static void announce_on(void)
{
	memset(&fa, 0, sizeof(fa));
	mem.announce = (struct guest_write_announcer){ .begin = fake_begin, .end = fake_end };
}

START_TEST(blk_refused_device_write_needs_reset)
{
	uint8_t pat[4096];

	memset(pat, 0xaa, sizeof(pat));
	announce_on();
	ck_assert_int_eq(guest_write(&mem, BUF_GPA, pat, sizeof(pat)), 0);
	/* A served read: both device-writable buffers announced and ended. */
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_IN, 0, sizeof(pat)), sizeof(pat) + 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(fa.begins, 2);
	ck_assert_uint_eq(fa.live, 0);
	/*
	 * A read into a "page table": not served, nothing written, and the
	 * device needs a reset (never a request that looks done).
	 */
	memset(guest_ptr(&mem, BUF_GPA, sizeof(pat)), 0xaa, sizeof(pat));
	fa.bad = BUF_GPA;
	put_hdr(VIRTIO_BLK_T_IN, 0);
	{
		struct seg sg[3] = {
			{ HDR_GPA, 16, 0 }, { BUF_GPA, sizeof(pat), 1 }, { STATUS_GPA, 1, 1 },
		};

		drv_add(bd, sg, 3);
		drv_notify(bd, 0);
	}
	ck_assert_uint_eq(used_idx(bd), bd->used_seen);
	ck_assert_uint_eq(status_byte(), 0xee);
	ck_assert_mem_eq(guest_ptr(&mem, BUF_GPA, sizeof(pat)), pat, sizeof(pat));
	ck_assert_uint_ne(rd(&blk.t, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(blk.t.refused_requests, 1);
	ck_assert_uint_eq(blk.st.reads, 1);
	ck_assert_uint_eq(fa.live, 0);
	ck_assert_uint_eq(blk.t.broken_requests, 0);
	mem.announce = (struct guest_write_announcer){ 0 };
}
END_TEST

/* A long device-writable buffer is announced in parts KVM takes. */
START_TEST(blk_long_buffer_announced_in_parts)
{
	const uint32_t len = 20u << 20;	/* over 4095 frames */

	announce_on();
	/* Past the 1 MiB image: fails, but its buffers are announced first. */
	ck_assert_uint_eq(blk_req(VIRTIO_BLK_T_IN, 0, len), 1);
	ck_assert_uint_eq(status_byte(), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(fa.live, 0);
	/* 20 MiB in parts of at most 4095 frames (2), and the status byte. */
	ck_assert_uint_eq(fa.begins, 3);
	mem.announce = (struct guest_write_announcer){ 0 };
}
END_TEST

/* A used ring the host refuses to have written: the queue never runs. */
START_TEST(blk_refused_used_ring_needs_reset)
{
	struct err e;

	virtio_blk_destroy(&blk);
	unlink(img_path);
	announce_on();
	fa.bad = RING_GPA + 0x2000;
	strcpy(img_path, "/tmp/tpt-blk-XXXXXX");
	{
		int fd = mkstemp(img_path);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, IMG_SECTORS * 512), 0);
		close(fd);
	}
	ck_assert_int_eq(virtio_blk_init(&blk, img_path, false, &mem, &e), 0);
	vdrv_negotiate(&blk.t);
	vdrv_queue(&blk.t, 0, QSIZE, (uint32_t)RING_GPA);
	ck_assert_uint_eq(rd(&blk.t, VIRTIO_MMIO_QUEUE_READY), 0);
	ck_assert_uint_ne(rd(&blk.t, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(blk.t.refused_requests, 1);
	ck_assert_uint_eq(fa.live, 0);
	/* Accepted, a used ring stays announced until the device is reset. */
	fa.bad = 0;
	wr(&blk.t, VIRTIO_MMIO_STATUS, 0);
	vdrv_negotiate(&blk.t);
	vdrv_queue(&blk.t, 0, QSIZE, (uint32_t)RING_GPA);
	ck_assert_uint_eq(rd(&blk.t, VIRTIO_MMIO_QUEUE_READY), 1);
	ck_assert_uint_eq(fa.live, 1);
	wr(&blk.t, VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(fa.live, 0);
	mem.announce = (struct guest_write_announcer){ 0 };
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_blk");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, blk_setup, blk_teardown);
	tcase_add_test(t, blk_config_and_features);
	tcase_add_test(t, blk_write_flush_read_back);
	tcase_add_test(t, blk_split_header_and_scattered_data);
	tcase_add_test(t, blk_bad_requests_fail_alone);
	tcase_add_test(t, blk_get_id);
	tcase_add_test(t, blk_read_only);
	tcase_add_test(t, blk_hostile_chain_breaks_device_not_vmm);
	tcase_add_test(t, blk_thread_serves_notify_never_waits);
	tcase_add_test(t, blk_refused_device_write_needs_reset);
	tcase_add_test(t, blk_long_buffer_announced_in_parts);
	tcase_add_test(t, blk_refused_used_ring_needs_reset);
	suite_add_tcase(s, t);
	return s;
}
