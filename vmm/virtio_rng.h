/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng (entropy device): each request's writable buffers are filled
 * from getrandom(2), at most VIRTIO_RNG_MAX_REQ bytes per request, so a
 * guest cannot make the VMM produce unbounded output in one go.
 */
#ifndef TPTVMM_VIRTIO_RNG_H
#define TPTVMM_VIRTIO_RNG_H

#include <linux/virtio_ids.h>

#include "err.h"
#include "guest_mem.h"
#include "virtio_mmio.h"

#define VIRTIO_RNG_MAX_REQ	(64u << 10)

struct virtio_rng {
	struct virtio_mmio t;
	unsigned long requests;
	unsigned long long bytes;
};

int virtio_rng_init(struct virtio_rng *r, const struct guest_mem *mem, struct err *e);
void virtio_rng_destroy(struct virtio_rng *r);

#endif
