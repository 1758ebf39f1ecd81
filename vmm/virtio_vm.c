/* SPDX-License-Identifier: MIT */
#include "virtio_vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util.h"

static const unsigned char free_irqs[VM_MAX_VIRTIO] = VIRTIO_IRQS;

unsigned int virtio_vm_irq(unsigned int i)
{
	return i < VM_MAX_VIRTIO ? free_irqs[i] : 0;
}

static void add_slot(struct virtio_vm *v, struct virtio_mmio *t, const char *name,
		     unsigned int index)
{
	struct virtio_slot *s = &v->slot[v->nr];

	snprintf(t->name, sizeof(t->name), "%s %u", name, index);
	t->log = stderr;
	s->t = t;
	s->name = name;
	s->base = VIRTIO_MMIO_BASE + VIRTIO_MMIO_STRIDE * v->nr;
	s->irq = virtio_vm_irq(v->nr);
	v->nr++;
}

int virtio_vm_create(struct virtio_vm *v, const struct vm_config *cfg,
		     const struct guest_mem *mem, struct err *e)
{
	memset(v, 0, sizeof(*v));
	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		if (virtio_blk_init(&v->blk[i], cfg->disks[i].path, cfg->disks[i].ro, mem, e))
			return -1;
		v->nr_blk++;
		add_slot(v, &v->blk[i].t, "virtio-blk", i);
	}
	for (unsigned int i = 0; i < cfg->nr_nets; i++) {
		const struct net_cfg *nc = &cfg->nets[i];
		uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x54, 0x50, (uint8_t)(0x10 + i) };
		int fd;

		if (nc->has_mac)
			memcpy(mac, nc->mac, 6);
		v->net[i] = calloc(1, sizeof(*v->net[i]));
		if (!v->net[i])
			return err_set(e, "out of memory for --net");
		fd = virtio_net_open_tap(nc->tap, e);
		if (fd < 0 || virtio_net_init(v->net[i], fd, mac, mem, e)) {
			if (fd >= 0)
				close(fd);
			free(v->net[i]);
			v->net[i] = NULL;
			return -1;
		}
		v->nr_net++;
		add_slot(v, &v->net[i]->t, "virtio-net", i);
	}
	if (cfg->rng) {
		if (virtio_rng_init(&v->rng, mem, e))
			return -1;
		v->has_rng = true;
		add_slot(v, &v->rng.t, "virtio-rng", 0);
	}
	return 0;
}

/* One device's entry is at most " virtio_mmio.device=512@0xd0007000:15". */
#define CMDLINE_ENTRY_MAX	64

char *virtio_vm_cmdline(const struct virtio_vm *v, const char *base, struct err *e)
{
	size_t len = strlen(base), size = len + CMDLINE_ENTRY_MAX * v->nr + 1;
	char *cmdline = malloc(size);

	if (!cmdline) {
		err_set(e, "out of memory for the command line");
		return NULL;
	}
	memcpy(cmdline, base, len + 1);
	for (unsigned int i = 0; i < v->nr; i++) {
		int n = snprintf(cmdline + len, size - len, " virtio_mmio.device=%u@0x%llx:%u",
				 VIRTIO_MMIO_SIZE, (unsigned long long)v->slot[i].base,
				 v->slot[i].irq);

		if (n < 0 || (size_t)n >= size - len) {
			free(cmdline);
			err_set(e, "kernel command line too long for the virtio devices");
			return NULL;
		}
		len += (size_t)n;
	}
	return cmdline;
}

static void mmio_access(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
			bool is_write)
{
	if (is_write)
		virtio_mmio_write(opaque, off, data, size);
	else
		virtio_mmio_read(opaque, off, data, size);
}

static void kick_ready(void *opaque, uint32_t events)
{
	struct virtio_kick *k = opaque;

	(void)events;
	if (eventfd_drain(k->h.fd))
		virtio_mmio_notify(k->t, k->q);
}

static int attach_slot(struct virtio_vm *v, struct virtio_slot *s, int vm_fd,
		       struct bus *mmio, struct err *e)
{
	struct virtio_mmio *t = s->t;
	struct kvm_irqfd irqfd = { .gsi = s->irq };

	if (bus_register(mmio, s->base, VIRTIO_MMIO_SIZE, mmio_access, t, s->name, e))
		return -1;
	if (eventfd_new(&t->irq_fd, s->name, e))
		return -1;
	irqfd.fd = (uint32_t)t->irq_fd;
	if (ioctl(vm_fd, KVM_IRQFD, &irqfd))
		return err_errno(e, errno, "KVM_IRQFD for %s (IRQ %u)", s->name, s->irq);
	for (unsigned int q = 0; q < t->ops->num_queues; q++) {
		struct virtio_kick *k = &s->kick[q];
		struct kvm_ioeventfd io = {
			.datamatch = q,
			.addr = s->base + VIRTIO_MMIO_QUEUE_NOTIFY,
			.len = 4,
			.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
		};

		if (eventfd_new(&t->kick_fd[q], s->name, e))
			return -1;
		io.fd = t->kick_fd[q];
		if (ioctl(vm_fd, KVM_IOEVENTFD, &io))
			return err_errno(e, errno, "KVM_IOEVENTFD for %s queue %u", s->name, q);
		k->t = t;
		k->q = q;
		k->h.fn = kick_ready;
		k->h.opaque = k;
		k->h.fd = t->kick_fd[q];
		if (iothread_add(&v->io, &k->h, EPOLLIN, e))
			return -1;
	}
	return 0;
}

int virtio_vm_attach(struct virtio_vm *v, int vm_fd, struct bus *mmio, struct err *e)
{
	if (!v->nr)
		return 0;
	if (iothread_init(&v->io, e))
		return -1;
	v->io_ready = true;
	for (unsigned int i = 0; i < v->nr; i++)
		if (attach_slot(v, &v->slot[i], vm_fd, mmio, e))
			return -1;
	for (unsigned int i = 0; i < v->nr_net; i++)
		if (virtio_net_attach(v->net[i], &v->io, e))
			return -1;
	return 0;
}

int virtio_vm_start(struct virtio_vm *v, struct err *e)
{
	/* Each disk has its own thread, so a slow disk holds up only itself. */
	for (unsigned int i = 0; i < v->nr_blk; i++)
		if (virtio_blk_start(&v->blk[i], e))
			return -1;
	return v->io_ready ? iothread_start(&v->io, e) : 0;
}

void virtio_vm_stop(struct virtio_vm *v)
{
	if (v->io_ready)
		iothread_destroy(&v->io);
	v->io_ready = false;
	/* After the I/O thread: nothing can wake a disk's thread any more. */
	for (unsigned int i = 0; i < v->nr_blk; i++)
		virtio_blk_stop(&v->blk[i]);
}

static struct report_device *report_dev(struct report *r, const struct virtio_vm *v,
				       const struct virtio_mmio *t, const char *type,
				       unsigned int index)
{
	struct report_device *d = &r->devices[r->nr_devices++];

	snprintf(d->name, sizeof(d->name), "%s", t->name);
	d->type = type;
	d->index = index;
	for (unsigned int i = 0; i < v->nr; i++)
		if (v->slot[i].t == t) {
			d->mmio_base = v->slot[i].base;
			d->irq = v->slot[i].irq;
		}
	d->needs_reset = t->needs_reset;
	d->needs_reset_reason = t->needs_reset_reason[0] ? t->needs_reset_reason : NULL;
	return d;
}

#define COUNTER(d, n, v) \
	((d)->counters[(d)->nr_counters++] = (struct report_counter){ (n), (v) })

static void transport_counters(struct report_device *d, const struct virtio_mmio *t)
{
	COUNTER(d, "broken_requests", t->broken_requests);
	COUNTER(d, "refused_writes", t->refused_writes);
	COUNTER(d, "refused_requests", t->refused_requests);
	COUNTER(d, "interrupts", t->interrupts);
}

void virtio_vm_report(const struct virtio_vm *v, struct report *r)
{
	for (unsigned int i = 0; i < v->nr_blk && r->nr_devices < VM_MAX_VIRTIO; i++) {
		const struct virtio_blk *b = &v->blk[i];
		struct report_device *d = report_dev(r, v, &b->t, "virtio-blk", i);

		d->requests = b->st.reads + b->st.writes + b->st.flushes + b->st.get_ids;
		d->errors = b->st.errors;
		COUNTER(d, "reads", b->st.reads);
		COUNTER(d, "writes", b->st.writes);
		COUNTER(d, "flushes", b->st.flushes);
		COUNTER(d, "get_ids", b->st.get_ids);
		COUNTER(d, "read_bytes", b->st.bytes_read);
		COUNTER(d, "written_bytes", b->st.bytes_written);
		transport_counters(d, &b->t);
	}
	for (unsigned int i = 0; i < v->nr_net && r->nr_devices < VM_MAX_VIRTIO; i++) {
		const struct virtio_net *n = v->net[i];
		struct report_device *d = report_dev(r, v, &n->t, "virtio-net", i);

		d->requests = n->st.rx_packets + n->st.tx_packets;
		d->errors = n->st.rx_truncated + n->st.tx_dropped;
		COUNTER(d, "rx_packets", n->st.rx_packets);
		COUNTER(d, "tx_packets", n->st.tx_packets);
		COUNTER(d, "rx_bytes", n->st.rx_bytes);
		COUNTER(d, "tx_bytes", n->st.tx_bytes);
		COUNTER(d, "rx_truncated", n->st.rx_truncated);
		COUNTER(d, "tx_dropped", n->st.tx_dropped);
		COUNTER(d, "rx_stalls", n->st.rx_stalls);
		transport_counters(d, &n->t);
	}
	if (v->has_rng && r->nr_devices < VM_MAX_VIRTIO) {
		struct report_device *d = report_dev(r, v, &v->rng.t, "virtio-rng", 0);

		d->requests = v->rng.requests;
		COUNTER(d, "bytes", v->rng.bytes);
		transport_counters(d, &v->rng.t);
	}
}

void virtio_vm_print_stats(const struct virtio_vm *v, FILE *out)
{
	for (unsigned int i = 0; i < v->nr_blk; i++) {
		const struct virtio_blk *b = &v->blk[i];

		fprintf(out, "tptvmm: virtio-blk %u: reads=%lu writes=%lu flushes=%lu read_bytes=%llu written_bytes=%llu errors=%lu broken_requests=%lu refused_requests=%lu interrupts=%lu\n",
			i, b->st.reads, b->st.writes, b->st.flushes, b->st.bytes_read,
			b->st.bytes_written, b->st.errors, b->t.broken_requests,
			b->t.refused_requests, b->t.interrupts);
	}
	for (unsigned int i = 0; i < v->nr_net; i++) {
		const struct virtio_net *n = v->net[i];

		fprintf(out, "tptvmm: virtio-net %u: rx_packets=%lu tx_packets=%lu rx_bytes=%llu tx_bytes=%llu rx_truncated=%lu tx_dropped=%lu rx_stalls=%lu broken_requests=%lu refused_requests=%lu interrupts=%lu\n",
			i, n->st.rx_packets, n->st.tx_packets, n->st.rx_bytes, n->st.tx_bytes,
			n->st.rx_truncated, n->st.tx_dropped, n->st.rx_stalls,
			n->t.broken_requests, n->t.refused_requests, n->t.interrupts);
	}
	if (v->has_rng)
		fprintf(out, "tptvmm: virtio-rng: requests=%lu bytes=%llu broken_requests=%lu refused_requests=%lu\n",
			v->rng.requests, v->rng.bytes, v->rng.t.broken_requests,
			v->rng.t.refused_requests);
}

static void close_fds(struct virtio_mmio *t)
{
	if (t->irq_fd >= 0)
		close(t->irq_fd);
	t->irq_fd = -1;
	for (unsigned int q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++) {
		if (t->kick_fd[q] >= 0)
			close(t->kick_fd[q]);
		t->kick_fd[q] = -1;
	}
}

void virtio_vm_destroy(struct virtio_vm *v)
{
	/* The I/O thread goes first: nothing may serve a queue after this. */
	virtio_vm_stop(v);
	for (unsigned int i = 0; i < v->nr; i++)
		close_fds(v->slot[i].t);
	for (unsigned int i = 0; i < v->nr_blk; i++)
		virtio_blk_destroy(&v->blk[i]);
	for (unsigned int i = 0; i < v->nr_net; i++) {
		virtio_net_destroy(v->net[i]);
		free(v->net[i]);
		v->net[i] = NULL;
	}
	if (v->has_rng)
		virtio_rng_destroy(&v->rng);
	v->nr = v->nr_blk = v->nr_net = 0;
	v->has_rng = false;
}
