/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the request handling of virtio-blk (read-write and
 * read-only), virtio-net (transmit and receive) and virtio-rng. The
 * driver side is set up correctly through the registers; the rings,
 * descriptors, request headers and data (and for net a received frame)
 * come from the input. Every queue is notified; ASan/UBSan and the
 * device's own checks must hold whatever the input says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../virtio_driver.h"
#include "fuzz_mem.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "virtio_rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RINGS	0x10000ULL	/* desc +0, avail +0x1000, used +0x2000, data +0x3000 */
#define IMAGE	0x4000ULL
#define QSIZE	16

static void start(struct virtio_mmio *t)
{
	vdrv_negotiate(t);
	/* Queues share the rings: what one consumes the other may see. */
	for (unsigned int q = 0; q < t->ops->num_queues; q++)
		vdrv_queue(t, q, QSIZE, (uint32_t)RINGS);
	vdrv_driver_ok(t);
}

static void notify_all(struct virtio_mmio *t)
{
	for (unsigned int q = 0; q < t->ops->num_queues; q++)
		vdrv_wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static char *disk_path(void)
{
	static char path[64];

	if (!path[0]) {
		int fd;

		strcpy(path, "/tmp/tpt-fuzz-disk-XXXXXX");
		fd = mkstemp(path);
		if (fd < 0 || ftruncate(fd, 64 << 10))
			abort();
		close(fd);
	}
	return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem *mem = fuzz_guest_mem(32ULL << 20);
	uint8_t *img = guest_ptr(mem, RINGS, IMAGE);
	struct err e;

	if (size < 1)
		return 0;
	memset(img, 0, IMAGE);
	memcpy(img, data + 1, size - 1 < IMAGE ? size - 1 : IMAGE);
	switch (data[0] % 4) {
	case 0:
	case 1: {
		struct virtio_blk b;

		if (virtio_blk_init(&b, disk_path(), data[0] % 4 == 1, mem, &e))
			abort();
		start(&b.t);
		notify_all(&b.t);
		virtio_blk_destroy(&b);
		break;
	}
	case 2: {
		static struct virtio_net n;	/* large buffers: not on the stack */
		static const uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, 1 };
		int sv[2];
		size_t pkt = size - 1 > 1600 ? 1600 : size - 1;

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) ||
		    virtio_net_init(&n, sv[0], mac, mem, &e))
			abort();
		start(&n.t);
		if (pkt && write(sv[1], data + 1, pkt) < 0)
			abort();
		virtio_net_rx(&n);
		notify_all(&n.t);
		virtio_net_destroy(&n);
		close(sv[1]);
		break;
	}
	default: {
		struct virtio_rng r;

		if (virtio_rng_init(&r, mem, &e))
			abort();
		start(&r.t);
		notify_all(&r.t);
		virtio_rng_destroy(&r);
		break;
	}
	}
	return 0;
}
