/* SPDX-License-Identifier: MIT */
#include "virtio_rng.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

/* Fills one request; returns the bytes written. */
static uint32_t rng_request(struct virtio_rng *r, const struct virtq_chain *c)
{
	struct iovec iov[VIRTQ_MAX_CHAIN];
	unsigned int n = virtq_iov(c, true, 0, VIRTIO_RNG_MAX_REQ, iov);
	uint32_t done = 0;

	for (unsigned int i = 0; i < n; i++) {
		size_t off = 0;

		while (off < iov[i].iov_len) {
			ssize_t got = getrandom((uint8_t *)iov[i].iov_base + off,
						iov[i].iov_len - off, 0);

			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				return done;
			off += (size_t)got;
			done += (uint32_t)got;
		}
	}
	r->requests++;
	r->bytes += done;
	return done;
}

/* Drained by the transport: notifications are suppressed while it runs. */
static bool rng_serve(void *dev, unsigned int q, const struct virtq_chain *c,
		      uint32_t *written)
{
	(void)q;
	*written = rng_request(dev, c);
	return true;
}

static const struct virtio_dev_ops rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_max = 64,
	.serve = rng_serve,
};

int virtio_rng_init(struct virtio_rng *r, const struct guest_mem *mem, struct err *e)
{
	memset(r, 0, sizeof(*r));
	return virtio_mmio_init(&r->t, &rng_ops, r, mem, e);
}

void virtio_rng_destroy(struct virtio_rng *r)
{
	virtio_mmio_destroy(&r->t);
}
