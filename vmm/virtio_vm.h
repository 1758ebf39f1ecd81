/* SPDX-License-Identifier: MIT */
/*
 * The VM's virtio-mmio devices (--disk, --net, --rng) and how they meet
 * KVM: a 4 KiB window each from VIRTIO_MMIO_BASE in the 32-bit MMIO hole,
 * one free ISA IRQ each raised through an irqfd, queue notifications
 * through ioeventfds served by one I/O thread. Accesses KVM does not
 * handle itself (every register but QueueNotify) come through the MMIO
 * bus on the vCPU threads.
 */
#ifndef TPTVMM_VIRTIO_VM_H
#define TPTVMM_VIRTIO_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bus.h"
#include "config.h"
#include "err.h"
#include "guest_mem.h"
#include "iothread.h"
#include "layout.h"
#include "report.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "virtio_rng.h"

struct virtio_kick {
	struct io_handler h;
	struct virtio_mmio *t;
	unsigned int q;
};

struct virtio_slot {
	struct virtio_mmio *t;
	const char *name;
	uint64_t base;
	unsigned int irq;
	struct virtio_kick kick[VIRTIO_MMIO_MAX_QUEUES];
};

struct virtio_vm {
	struct iothread io;
	bool io_ready;
	struct virtio_blk blk[VM_MAX_DISKS];
	unsigned int nr_blk;
	struct virtio_net *net[VM_MAX_NETS];	/* large: on the heap */
	unsigned int nr_net;
	struct virtio_rng rng;
	bool has_rng;
	struct virtio_slot slot[VM_MAX_VIRTIO];
	unsigned int nr;
};

/* ISA IRQ of the i-th device (they are not shared with anything else). */
unsigned int virtio_vm_irq(unsigned int i);
/* Opens disks and taps as @cfg says; nothing touches KVM yet. */
int virtio_vm_create(struct virtio_vm *v, const struct vm_config *cfg,
		     const struct guest_mem *mem, struct err *e);
/* @base plus " virtio_mmio.device=..." for every device, malloc'd; NULL on error. */
char *virtio_vm_cmdline(const struct virtio_vm *v, const char *base, struct err *e);
/* Registers the windows on @mmio, the irqfds and ioeventfds on @vm_fd. */
int virtio_vm_attach(struct virtio_vm *v, int vm_fd, struct bus *mmio, struct err *e);
int virtio_vm_start(struct virtio_vm *v, struct err *e);
/* Stops the I/O thread (after the vCPUs): no queue is served after this. */
void virtio_vm_stop(struct virtio_vm *v);
/* Adds every device with its counters to @r (after virtio_vm_stop). */
void virtio_vm_report(const struct virtio_vm *v, struct report *r);
/* One line per device with its counters (nothing if there is none). */
void virtio_vm_print_stats(const struct virtio_vm *v, FILE *out);
void virtio_vm_destroy(struct virtio_vm *v);

#endif
