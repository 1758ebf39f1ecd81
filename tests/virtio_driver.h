/* SPDX-License-Identifier: MIT */
/*
 * What a virtio-mmio (version 2) driver writes to bring a device up, shared
 * by the device unit tests and fuzz_virtio_dev: negotiate VERSION_1 only,
 * give each queue its rings (descriptors, then driver and device areas
 * 4 KiB apart), then DRIVER_OK. test_virtio_mmio spells the steps out one
 * by one instead, because it tests each register's gate.
 */
#ifndef TPT_TESTS_VIRTIO_DRIVER_H
#define TPT_TESTS_VIRTIO_DRIVER_H

#include <stdint.h>

#include "virtio_mmio.h"

static inline void vdrv_wr(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	virtio_mmio_write(t, off, &v, 4);
}

/* ACKNOWLEDGE, DRIVER, VERSION_1 (feature bit 32) and nothing else, FEATURES_OK. */
static inline void vdrv_negotiate(struct virtio_mmio *t)
{
	vdrv_wr(t, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vdrv_wr(t, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vdrv_wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vdrv_wr(t, VIRTIO_MMIO_DRIVER_FEATURES, 1u << (VIRTIO_F_VERSION_1 - 32));
	vdrv_wr(t, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		VIRTIO_CONFIG_S_FEATURES_OK);
}

/* Queue @q with @size entries and its rings at @ring, +0x1000, +0x2000; ready. */
static inline void vdrv_queue(struct virtio_mmio *t, unsigned int q, uint16_t size,
			      uint32_t ring)
{
	vdrv_wr(t, VIRTIO_MMIO_QUEUE_SEL, q);
	vdrv_wr(t, VIRTIO_MMIO_QUEUE_NUM, size);
	vdrv_wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, ring);
	vdrv_wr(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, ring + 0x1000);
	vdrv_wr(t, VIRTIO_MMIO_QUEUE_USED_LOW, ring + 0x2000);
	vdrv_wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
}

static inline void vdrv_driver_ok(struct virtio_mmio *t)
{
	vdrv_wr(t, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

#endif
