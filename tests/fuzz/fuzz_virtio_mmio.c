/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a driver's register accesses to a virtio-mmio device
 * in any order, width and value, with guest memory also from the input;
 * the device pops every notified queue and pushes back what it got. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_mem.h"
#include "virtio_mmio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cfg_read(void *dev, uint32_t off, void *out, uint32_t len)
{
	static const uint8_t cfg[16] = "fuzz-config-16b";

	(void)dev;
	if (off + len > sizeof(cfg))
		abort();	/* the transport must keep config reads in range */
	memcpy(out, cfg + off, len);
}

static void notify(void *dev, struct virtio_mmio *t, unsigned int q)
{
	static struct virtq_chain c;
	struct err e;

	(void)dev;
	for (int i = 0; i < 64; i++) {
		int r = virtq_pop(&t->vq[q], t->mem, &c, &e);

		if (r < 0)
			virtio_mmio_needs_reset(t, e.msg);
		if (r <= 0)
			return;
		if (virtq_push(&t->vq[q], t->mem, c.head, 0, &e) == 0)
			virtio_mmio_signal_used(t);
	}
}

static const struct virtio_dev_ops ops = {
	.device_id = 2, .features = 1ULL << 9, .num_queues = 2, .queue_max = 64,
	.config_len = 16, .config_read = cfg_read, .notify = notify,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem *mem = fuzz_guest_mem(32ULL << 20);
	struct virtio_mmio t;
	size_t n;

	/* First half: guest memory at 0x10000; second half: accesses. */
	n = size / 2;
	memset(guest_ptr(mem, 0x10000, 0x10000), 0, 0x10000);
	memcpy(guest_ptr(mem, 0x10000, 0x10000), data, n < 0x10000 ? n : 0x10000);
	if (virtio_mmio_init(&t, &ops, NULL, mem))
		abort();
	for (size_t i = n; i + 6 <= size; i += 6) {
		uint8_t op = data[i];
		uint64_t off = (uint64_t)data[i + 1] << 2 | (op & 3);
		unsigned int width = 1u << ((op >> 2) & 3);
		uint8_t buf[8] = { 0 };

		memcpy(buf, &data[i + 2], 4);
		if (op & 0x10)
			virtio_mmio_write(&t, off, buf, width);
		else
			virtio_mmio_read(&t, off, buf, width);
	}
	virtio_mmio_destroy(&t);
	return 0;
}
