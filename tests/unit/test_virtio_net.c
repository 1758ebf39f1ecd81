/* SPDX-License-Identifier: MIT */
/* virtio_net.c on a socketpair standing in for the tap: MAC, transmit,
 * receive waiting for buffers, offload headers, the MAC parser. */
#include "test_main.h"

#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "virtio_net.h"
#include "virtio_test_driver.h"

/* The tap is a socketpair; the test holds the other end. */
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
	Suite *s = suite_create("virtio_net");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, net_setup, net_teardown);
	tcase_add_test(t, net_mac_and_tx);
	tcase_add_test(t, net_rx_waits_for_buffers);
	tcase_add_test(t, net_offload_header_passes_when_negotiated);
	tcase_add_test(t, net_mac_parser);
	suite_add_tcase(s, t);
	return s;
}
