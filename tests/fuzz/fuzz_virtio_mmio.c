/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a driver's register accesses to a virtio-mmio device
 * in any order, width and value, with guest memory also from the input;
 * the transport drains every notified queue through the device's serve op. */
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

/* Every chain is completed with nothing written, except that a chain with
 * head 7 is left for later: the transport must put it back intact. */
static bool serve(void *dev, unsigned int q, const struct virtq_chain *c, uint32_t *written)
{
	(void)dev;
	(void)q;
	for (unsigned int i = 0; i < c->n; i++)
		if (!c->buf[i].hva || !c->buf[i].len)
			abort();	/* pop hands out checked buffers only */
	*written = 0;
	return c->head != 7;
}

static const struct virtio_dev_ops ops = {
	.device_id = 2, .features = 1ULL << 9, .num_queues = 2, .queue_max = 64,
	.config_len = 16, .config_read = cfg_read, .serve = serve,
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
	if (virtio_mmio_init(&t, &ops, NULL, mem, NULL))
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
