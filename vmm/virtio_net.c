/* SPDX-License-Identifier: MIT */
#include "virtio_net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util.h"

#define NET_QUEUE_SIZE		256
#define NET_RXQ			0
#define NET_TXQ			1
#define NET_FEATURES	(VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_MAC) | \
			 VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) | \
			 VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | \
			 VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) | VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN))

static void net_config_read(void *dev, uint32_t off, void *out, uint32_t len)
{
	memcpy(out, ((struct virtio_net *)dev)->config + off, len);
}

static void poll_tap(struct virtio_net *n, bool on)
{
	if (n->tap_gone)
		on = false;
	if (n->io && n->tap_polled != on && !iothread_mod(n->io, &n->tap_h, on ? EPOLLIN : 0))
		n->tap_polled = on;
}

/* Takes the features the driver accepted; sets the tap's offloads to match. */
static void sync_features(struct virtio_net *n)
{
	uint64_t f = 0;
	unsigned int off = 0;

	f = virtio_mmio_driver_features(&n->t);
	if (n->features_known && f == n->features)
		return;
	if (f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
		if ((f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN)) && (off & (TUN_F_TSO4 | TUN_F_TSO6)))
			off |= TUN_F_TSO_ECN;
	}
	/* A plain packet fd (unit tests) has no offloads to set: no harm. */
	if (ioctl(n->tap_fd, TUNSETOFFLOAD, off) && off)
		f &= ~(VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6));
	n->features = f;
	n->features_known = true;
}

/* Reads the next frame from the tap into rx_buf; false if there is none. */
static bool fetch_frame(struct virtio_net *n)
{
	ssize_t r;

	if (n->rx_len)
		return true;
	if (n->tap_gone)
		return false;
	r = read_eintr(n->tap_fd, n->rx_buf, sizeof(n->rx_buf));
	if (r < (ssize_t)VIRTIO_NET_HDR_LEN)
		return false;	/* EAGAIN, error, or a runt: nothing to give */
	/* The tap writes 10 header bytes; num_buffers is ours. */
	n->rx_buf[offsetof(struct virtio_net_hdr_v1, num_buffers)] = 1;
	n->rx_buf[offsetof(struct virtio_net_hdr_v1, num_buffers) + 1] = 0;
	n->rx_len = (size_t)r;
	return true;
}

/* Receive chain: gets the next frame, or stays in the queue until one comes. */
static bool net_rx_serve(struct virtio_net *n, const struct virtq_chain *c, uint32_t *written)
{
	size_t done;

	if (!fetch_frame(n))
		return false;
	done = virtq_write(c, 0, n->rx_buf, n->rx_len);
	if (done < n->rx_len)
		n->st.rx_truncated++;
	n->st.rx_packets++;
	n->st.rx_bytes += n->rx_len - VIRTIO_NET_HDR_LEN;
	n->rx_len = 0;
	*written = (uint32_t)done;
	return true;
}

/* Transmit chain: one frame to the tap. */
static void net_tx_serve(struct virtio_net *n, const struct virtq_chain *c)
{
	uint64_t len = c->readable_len;
	ssize_t w;

	if (len < VIRTIO_NET_HDR_LEN || len > sizeof(n->tx_buf)) {
		n->st.tx_dropped++;
		return;
	}
	/* Copied once. The tap checks an offload header; without negotiated
	 * offloads the guest gets no say in it. */
	virtq_read(c, 0, n->tx_buf, (size_t)len);
	if (!(n->features & VIRTIO_BIT(VIRTIO_NET_F_CSUM)))
		memset(n->tx_buf, 0, VIRTIO_NET_HDR_LEN);
	w = write_eintr(n->tap_fd, n->tx_buf, (size_t)len);
	if (w == (ssize_t)len) {
		n->st.tx_packets++;
		n->st.tx_bytes += len - VIRTIO_NET_HDR_LEN;
	} else {
		n->st.tx_dropped++;
	}
}

static bool net_serve(void *dev, unsigned int q, const struct virtq_chain *c,
		      uint32_t *written)
{
	struct virtio_net *n = dev;

	if (q == NET_RXQ)
		return net_rx_serve(n, c, written);
	net_tx_serve(n, c);
	*written = 0;
	return true;
}

void virtio_net_rx(struct virtio_net *n)
{
	sync_features(n);
	if (virtio_mmio_drain(&n->t, NET_RXQ) == VIRTIO_DRAIN_LATER) {
		poll_tap(n, true);	/* buffers left, the tap is empty */
		return;
	}
	/* No buffers (or no driver): a frame that came waits in rx_buf, and
	 * the tap is not polled until the guest posts buffers. */
	if (fetch_frame(n)) {
		n->st.rx_stalls++;
		poll_tap(n, false);
		return;
	}
	poll_tap(n, true);
}

static void net_notify(void *dev, struct virtio_mmio *t, unsigned int q)
{
	struct virtio_net *n = dev;

	if (q == NET_TXQ) {
		sync_features(n);
		virtio_mmio_drain(t, q);
	} else {
		virtio_net_rx(n);	/* new receive buffers */
	}
}

static void tap_ready(void *opaque, uint32_t events)
{
	struct virtio_net *n = opaque;

	if (events & (EPOLLERR | EPOLLHUP)) {
		/* The interface went away under us: the link is down for good. */
		if (!n->tap_gone)
			fprintf(stderr, "tptvmm: virtio-net: the tap device failed; no more frames\n");
		n->tap_gone = true;
		poll_tap(n, false);
		return;
	}
	virtio_net_rx(n);
}

static const struct virtio_dev_ops net_ops = {
	.device_id = VIRTIO_ID_NET,
	.features = NET_FEATURES,
	.num_queues = 2,
	.queue_max = NET_QUEUE_SIZE,
	.config_len = 6,
	.config_read = net_config_read,
	.serve = net_serve,
	.notify = net_notify,
};

int virtio_net_open_tap(const char *name, struct err *e)
{
	struct ifreq ifr;
	int fd, hdr = VIRTIO_NET_HDR_LEN;

	if (!*name || strlen(name) >= IFNAMSIZ)
		return err_set(e, "--net tap=%s: interface names have 1 to %d characters",
			       name, IFNAMSIZ - 1);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, errno, "--net tap=%s: cannot open /dev/net/tun (load the tun module)",
				 name);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		int saved = errno;

		close(fd);
		if (saved == EPERM)
			return err_set(e, "--net tap=%s: not permitted: create it first with 'ip tuntap add dev %s mode tap user %s' (or run as root)",
				       name, name, getenv("USER") ? getenv("USER") : "$USER");
		return err_errno(e, saved, "--net tap=%s: TUNSETIFF", name);
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr)) {
		int saved = errno;

		close(fd);
		return err_errno(e, saved, "--net tap=%s: TUNSETVNETHDRSZ", name);
	}
	return fd;
}

int virtio_net_init(struct virtio_net *n, int tap_fd, const uint8_t mac[6],
		    const struct guest_mem *mem, struct err *e)
{
	memset(n, 0, sizeof(*n));
	n->tap_fd = tap_fd;
	memcpy(n->config, mac, 6);
	n->tap_h.fn = tap_ready;
	n->tap_h.opaque = n;
	n->tap_h.fd = tap_fd;
	return virtio_mmio_init(&n->t, &net_ops, n, mem, e);
}

int virtio_net_attach(struct virtio_net *n, struct iothread *io, struct err *e)
{
	if (iothread_add(io, &n->tap_h, EPOLLIN, e))
		return -1;
	n->io = io;
	n->tap_polled = true;
	return 0;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (n->tap_fd >= 0)
		close(n->tap_fd);
	n->tap_fd = -1;
	virtio_mmio_destroy(&n->t);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int virtio_net_parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return mac[0] & 1 ? -1 : 0;	/* multicast bit: not a station address */
}
