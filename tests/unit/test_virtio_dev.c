/* SPDX-License-Identifier: MIT */
/* virtio-blk, virtio-net and virtio-rng request handling, driven through
 * the virtio-mmio registers by a small driver over fake guest memory:
 * valid requests do what they say, hostile ones fail that request (or
 * break the device) without touching anything outside guest RAM. */
#include "test_main.h"

#include <endian.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../virtio_driver.h"
#include "guest_mem.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "virtio_rng.h"

#define QSIZE		16
#define RING_GPA	0x100000ULL	/* desc, avail at +0x1000, used at +0x2000 */
#define DATA_GPA	0x200000ULL

static struct guest_mem mem;

/* A driver for one queue: writes descriptors, publishes them, reads used. */
struct drv {
	struct virtio_mmio *t;
	uint64_t ring;
	uint16_t avail_idx, next_desc, used_seen;
};

struct seg {
	uint64_t gpa;
	uint32_t len;
	int write;
};

static void wr(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	virtio_mmio_write(t, off, &v, 4);
}

static uint32_t rd(struct virtio_mmio *t, uint64_t off)
{
	uint32_t v;

	virtio_mmio_read(t, off, &v, 4);
	return v;
}

static void mem_setup(void)
{
	struct guest_mem_opts o = { 0 };
	struct err e;

	ck_assert_int_eq(guest_mem_alloc(&mem, 64ULL << 20, &o, &e), 0);
}

static void mem_teardown(void)
{
	guest_mem_free(&mem);
}

/* Negotiates and sets up queues 0..nq-1, each with its rings at ring + q * 0x4000. */
static void drv_start(struct drv *d, struct virtio_mmio *t, unsigned int nq)
{
	vdrv_negotiate(t);
	ck_assert_uint_eq(rd(t, VIRTIO_MMIO_STATUS), 11);
	for (unsigned int q = 0; q < nq; q++) {
		uint64_t r = RING_GPA + 0x4000ULL * q;

		memset(guest_ptr(&mem, r, 0x3000), 0, 0x3000);
		vdrv_queue(t, q, QSIZE, (uint32_t)r);
		ck_assert_uint_eq(rd(t, VIRTIO_MMIO_QUEUE_READY), 1);
		memset(&d[q], 0, sizeof(d[q]));
		d[q].t = t;
		d[q].ring = r;
	}
	vdrv_driver_ok(t);
	ck_assert_uint_eq(rd(t, VIRTIO_MMIO_STATUS), 15);
}

static void put16(uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	ck_assert_int_eq(guest_write(&mem, gpa, &v, 2), 0);
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	ck_assert_int_eq(guest_read(&mem, gpa, &v, 4), 0);
	return le32toh(v);
}

/* Writes one chain of n segments and publishes it (no notify). */
static uint16_t drv_add(struct drv *d, const struct seg *s, unsigned int n)
{
	uint16_t head = d->next_desc;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % QSIZE);
		uint8_t desc[16];
		uint64_t a = htole64(s[i].gpa);
		uint32_t l = htole32(s[i].len);
		uint16_t f = htole16((uint16_t)((i + 1 < n ? 1 : 0) | (s[i].write ? 2 : 0)));
		uint16_t nx = htole16((uint16_t)((idx + 1) % QSIZE));

		memcpy(desc, &a, 8);
		memcpy(desc + 8, &l, 4);
		memcpy(desc + 12, &f, 2);
		memcpy(desc + 14, &nx, 2);
		ck_assert_int_eq(guest_write(&mem, d->ring + 16ULL * idx, desc, 16), 0);
	}
	d->next_desc = (uint16_t)((head + n) % QSIZE);
	put16(d->ring + 0x1000 + 4 + 2ULL * (d->avail_idx % QSIZE), head);
	d->avail_idx++;
	put16(d->ring + 0x1000 + 2, d->avail_idx);
	return head;
}

static void drv_notify(struct drv *d, unsigned int q)
{
	wr(d->t, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

/* The used length of the next used element; fails if there is none. */
static uint32_t drv_used(struct drv *d, uint16_t want_head)
{
	uint16_t idx;

	ck_assert_int_eq(guest_read(&mem, d->ring + 0x2000 + 2, &idx, 2), 0);
	ck_assert_msg(le16toh(idx) != d->used_seen, "no used element");
	ck_assert_uint_eq(get32(d->ring + 0x2000 + 4 + 8ULL * (d->used_seen % QSIZE)), want_head);
	return get32(d->ring + 0x2000 + 8 + 8ULL * (d->used_seen++ % QSIZE));
}

static uint16_t used_idx(const struct drv *d)
{
	uint16_t idx;

	ck_assert_int_eq(guest_read(&mem, d->ring + 0x2000 + 2, &idx, 2), 0);
	return le16toh(idx);
}

/* ---- virtio-blk ---- */

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

static void read_file(uint64_t off, void *buf, size_t len)
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
	read_file(10 * 512, back, sizeof(back));
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
	read_file(100 * 512, back, sizeof(back));
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
	read_file((IMG_SECTORS - 1) * 512ULL, back, 512);
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
	read_file(0, back, 512);
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

START_TEST(blk_reset_drops_inflight_completion)
{
	struct virtq_chain c;
	uint32_t epoch;
	struct err e;
	struct seg s[2] = { { HDR_GPA, 16, 0 }, { STATUS_GPA, 1, 1 } };

	put_hdr(VIRTIO_BLK_T_FLUSH, 0);
	drv_add(bd, s, 2);
	/* The device took the chain, then the driver reset the device. */
	ck_assert_int_eq(virtio_mmio_pop(&blk.t, 0, &c, &epoch, &e), 1);
	wr(&blk.t, VIRTIO_MMIO_STATUS, 0);
	drv_start(bd, &blk.t, 1);
	virtio_mmio_push(&blk.t, 0, c.head, 1, epoch);
	ck_assert_uint_eq(used_idx(bd), 0);	/* not completed into the new rings */
}
END_TEST

/* ---- virtio-rng ---- */

START_TEST(rng_fills_and_caps)
{
	struct virtio_rng r;
	struct drv d[1];
	struct err e;
	uint8_t zero[256] = { 0 };
	struct seg s[1] = { { DATA_GPA, 256, 1 } };
	struct seg big[2] = { { DATA_GPA, 48u << 10, 1 }, { DATA_GPA + (1u << 20), 1u << 20, 1 } };
	struct seg ro[1] = { { DATA_GPA, 256, 0 } };
	uint16_t h;

	ck_assert_int_eq(virtio_rng_init(&r, &mem, &e), 0);
	drv_start(d, &r.t, 1);
	memset(guest_ptr(&mem, DATA_GPA, 256), 0, 256);
	h = drv_add(d, s, 1);
	drv_notify(d, 0);
	ck_assert_uint_eq(drv_used(d, h), 256);
	ck_assert(memcmp(guest_ptr(&mem, DATA_GPA, 256), zero, 256));
	h = drv_add(d, big, 2);
	drv_notify(d, 0);
	ck_assert_uint_eq(drv_used(d, h), VIRTIO_RNG_MAX_REQ);
	/* A request with nothing to write into gets nothing. */
	h = drv_add(d, ro, 1);
	drv_notify(d, 0);
	ck_assert_uint_eq(drv_used(d, h), 0);
	ck_assert_uint_eq(r.requests, 3);
	virtio_rng_destroy(&r);
}
END_TEST

/* ---- virtio-net, on a socketpair standing in for the tap ---- */

static struct virtio_net *net;
static struct drv nd[2];
static int peer;

static void net_setup(void)
{
	const uint8_t mac[6] = { 0x52, 0x54, 0, 1, 2, 3 };
	struct err e;
	int sv[2];

	mem_setup();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	peer = sv[1];
	net = calloc(1, sizeof(*net));
	ck_assert_ptr_nonnull(net);
	ck_assert_int_eq(virtio_net_init(net, sv[0], mac, &mem, &e), 0);
	drv_start(nd, &net->t, 2);
}

static void net_teardown(void)
{
	virtio_net_destroy(net);
	free(net);
	close(peer);
	mem_teardown();
}

START_TEST(net_mac_and_tx)
{
	uint8_t mac[6], frame[VIRTIO_NET_HDR_LEN + 60], got[200];
	struct seg s[2] = { { DATA_GPA, VIRTIO_NET_HDR_LEN, 0 }, { DATA_GPA + 0x100, 60, 0 } };
	uint16_t h;

	virtio_mmio_read(&net->t, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_net_config, mac), mac, 4);
	virtio_mmio_read(&net->t, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_net_config, mac) + 4,
			 mac + 4, 2);
	ck_assert_uint_eq(mac[5], 3);
	ck_assert_uint_eq(mac[0], 0x52);
	/* A header with offload flags the device never offered: sent zeroed. */
	memset(guest_ptr(&mem, DATA_GPA, VIRTIO_NET_HDR_LEN), 0x7f, VIRTIO_NET_HDR_LEN);
	for (int i = 0; i < 60; i++)
		((uint8_t *)guest_ptr(&mem, DATA_GPA + 0x100, 60))[i] = (uint8_t)i;
	h = drv_add(&nd[1], s, 2);
	drv_notify(&nd[1], 1);
	ck_assert_uint_eq(drv_used(&nd[1], h), 0);
	ck_assert_int_eq(read(peer, got, sizeof(got)), sizeof(frame));
	memset(frame, 0, VIRTIO_NET_HDR_LEN);
	for (int i = 0; i < 60; i++)
		frame[VIRTIO_NET_HDR_LEN + i] = (uint8_t)i;
	ck_assert_mem_eq(got, frame, sizeof(frame));
	ck_assert_uint_eq(net->st.tx_packets, 1);
	ck_assert_uint_eq(net->st.tx_bytes, 60);
	/* Runt (shorter than a header): dropped, still completed. */
	s[0].len = 8;
	h = drv_add(&nd[1], s, 1);
	drv_notify(&nd[1], 1);
	ck_assert_uint_eq(drv_used(&nd[1], h), 0);
	ck_assert_uint_eq(net->st.tx_dropped, 1);
	ck_assert_int_lt(read(peer, got, sizeof(got)), 0);
}
END_TEST

START_TEST(net_offload_header_passes_when_negotiated)
{
	uint8_t got[200], hdr[VIRTIO_NET_HDR_LEN] = { 1, 0, 0, 0, 0, 0, 34, 0, 16, 0, 0, 0 };
	struct seg s[2] = { { DATA_GPA, VIRTIO_NET_HDR_LEN, 0 }, { DATA_GPA + 0x100, 60, 0 } };
	uint16_t h;

	/* Renegotiate with VIRTIO_NET_F_CSUM: the guest's header is kept. */
	wr(&net->t, VIRTIO_MMIO_STATUS, 0);
	wr(&net->t, VIRTIO_MMIO_STATUS, 1);
	wr(&net->t, VIRTIO_MMIO_STATUS, 3);
	wr(&net->t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(&net->t, VIRTIO_MMIO_DRIVER_FEATURES, 1 | 1u << 5);
	drv_start(nd, &net->t, 2);	/* adds VERSION_1, keeps the low word */
	ck_assert(net->t.driver_features & 1);
	guest_write(&mem, DATA_GPA, hdr, sizeof(hdr));
	h = drv_add(&nd[1], s, 2);
	drv_notify(&nd[1], 1);
	ck_assert_uint_eq(drv_used(&nd[1], h), 0);
	ck_assert_int_eq(read(peer, got, sizeof(got)), VIRTIO_NET_HDR_LEN + 60);
	ck_assert_mem_eq(got, hdr, sizeof(hdr));
}
END_TEST

START_TEST(net_rx_waits_for_buffers)
{
	uint8_t pkt[VIRTIO_NET_HDR_LEN + 80], got[VIRTIO_NET_HDR_LEN + 80];
	struct seg s[1] = { { DATA_GPA + 0x8000, 2048, 1 } };
	struct seg small[1] = { { DATA_GPA + 0x9000, 40, 1 } };
	uint16_t h;

	memset(pkt, 0, sizeof(pkt));
	for (size_t i = VIRTIO_NET_HDR_LEN; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 3);
	ck_assert_int_eq(write(peer, pkt, sizeof(pkt)), sizeof(pkt));
	/* No receive buffer yet: the frame waits, nothing is lost. */
	virtio_net_rx(net);
	ck_assert_uint_eq(net->st.rx_stalls, 1);
	ck_assert_uint_eq(used_idx(&nd[0]), 0);
	h = drv_add(&nd[0], s, 1);
	drv_notify(&nd[0], 0);
	ck_assert_uint_eq(drv_used(&nd[0], h), sizeof(pkt));
	guest_read(&mem, DATA_GPA + 0x8000, got, sizeof(got));
	pkt[10] = 1;	/* num_buffers */
	ck_assert_mem_eq(got, pkt, sizeof(pkt));
	ck_assert_uint_eq(net->st.rx_packets, 1);
	/* A chain too short for the frame gets what fits, counted. */
	ck_assert_int_eq(write(peer, pkt, sizeof(pkt)), sizeof(pkt));
	h = drv_add(&nd[0], small, 1);
	drv_notify(&nd[0], 0);
	ck_assert_uint_eq(drv_used(&nd[0], h), 40);
	ck_assert_uint_eq(net->st.rx_truncated, 1);
}
END_TEST

START_TEST(net_mac_parser)
{
	uint8_t m[6];

	ck_assert_int_eq(virtio_net_parse_mac("52:54:00:ab:CD:ef", m), 0);
	ck_assert_uint_eq(m[4], 0xcd);
	ck_assert_int_eq(virtio_net_parse_mac("53:54:00:ab:cd:ef", m), -1);	/* multicast */
	ck_assert_int_eq(virtio_net_parse_mac("52:54:00:ab:cd:e", m), -1);
	ck_assert_int_eq(virtio_net_parse_mac("52:54:00:ab:cd:efa", m), -1);
	ck_assert_int_eq(virtio_net_parse_mac("52 54:00:ab:cd:ef", m), -1);
	ck_assert_int_eq(virtio_net_parse_mac("52:54:00:ab:cd:+f", m), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_dev");
	TCase *b = tcase_create("blk"), *r = tcase_create("rng"), *n = tcase_create("net");

	tcase_add_checked_fixture(b, blk_setup, blk_teardown);
	tcase_add_test(b, blk_config_and_features);
	tcase_add_test(b, blk_write_flush_read_back);
	tcase_add_test(b, blk_split_header_and_scattered_data);
	tcase_add_test(b, blk_bad_requests_fail_alone);
	tcase_add_test(b, blk_get_id);
	tcase_add_test(b, blk_read_only);
	tcase_add_test(b, blk_hostile_chain_breaks_device_not_vmm);
	tcase_add_test(b, blk_reset_drops_inflight_completion);
	suite_add_tcase(s, b);
	tcase_add_checked_fixture(r, mem_setup, mem_teardown);
	tcase_add_test(r, rng_fills_and_caps);
	suite_add_tcase(s, r);
	tcase_add_checked_fixture(n, net_setup, net_teardown);
	tcase_add_test(n, net_mac_and_tx);
	tcase_add_test(n, net_rx_waits_for_buffers);
	tcase_add_test(n, net_offload_header_passes_when_negotiated);
	tcase_add_test(n, net_mac_parser);
	suite_add_tcase(s, n);
	return s;
}
