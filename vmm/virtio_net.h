/* SPDX-License-Identifier: MIT */
/*
 * virtio-net on a tap device (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, 12-byte
 * virtio-net headers): queue 0 receives, queue 1 transmits. Checksum and
 * TSO offloads are offered both ways; what the driver accepts is set on
 * the tap (TUNSETOFFLOAD) for received frames, and a transmitted frame's
 * header goes to the tap (which validates it) only if the driver
 * negotiated VIRTIO_NET_F_CSUM, else it is sent zeroed.
 * Frames go through a bounce buffer of the VMM, so a frame the tap gave us
 * waits there (and the tap is not polled) until the guest posts a receive
 * buffer; frames longer than VIRTIO_NET_MAX_FRAME or shorter than a
 * header are dropped and counted.
 */
#ifndef TPTVMM_VIRTIO_NET_H
#define TPTVMM_VIRTIO_NET_H

#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "guest_mem.h"
#include "iothread.h"
#include "virtio_mmio.h"

#define VIRTIO_NET_HDR_LEN	sizeof(struct virtio_net_hdr_v1)	/* 12 bytes */
#define VIRTIO_NET_MAX_FRAME	(65536 + 14 + 4)	/* a 64 KiB GSO frame, VLAN tag */

struct virtio_net_stats {
	unsigned long rx_packets, tx_packets;
	unsigned long long rx_bytes, tx_bytes;
	unsigned long rx_truncated;	/* receive chain shorter than the frame */
	unsigned long tx_dropped;	/* bad length, or the tap refused it */
	unsigned long rx_stalls;	/* frame waited for a receive buffer */
};

struct virtio_net {
	struct virtio_mmio t;
	int tap_fd;
	uint8_t config[6];		/* MAC */
	struct iothread *io;		/* NULL: not attached (unit tests) */
	struct io_handler tap_h;
	bool tap_polled;
	bool tap_gone;			/* EPOLLERR/HUP: never polled again */
	uint64_t features;		/* what offloads are set up for */
	bool features_known;
	size_t rx_len;			/* frame waiting in rx_buf, or 0 */
	uint8_t rx_buf[VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME];
	uint8_t tx_buf[VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME];
	struct virtio_net_stats st;
};

/*
 * Opens tap interface @name (an existing one, or a new one when the caller
 * may create it) with virtio-net headers; returns the fd, or -1.
 */
int virtio_net_open_tap(const char *name, struct err *e);
/* Takes ownership of @tap_fd (nonblocking; any packet fd works in tests). */
int virtio_net_init(struct virtio_net *n, int tap_fd, const uint8_t mac[6],
		    const struct guest_mem *mem, struct err *e);
/* Polls the tap on @io from now on. */
int virtio_net_attach(struct virtio_net *n, struct iothread *io, struct err *e);
/* The tap is readable: moves frames to the guest while it has buffers. */
void virtio_net_rx(struct virtio_net *n);
void virtio_net_destroy(struct virtio_net *n);

/* Parses "52:54:00:12:34:56" (unicast only); -1 on anything else. */
int virtio_net_parse_mac(const char *s, uint8_t mac[6]);

#endif
