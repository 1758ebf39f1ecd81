/* SPDX-License-Identifier: MIT */
#include "kvm_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Bounds on what a stats fd may describe; KVM's own are far below. */
#define STATS_MAX_NAME	1024
#define STATS_MAX_DESC	4096

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t r = pread(fd, buf, len, (off_t)off);

	return r == (ssize_t)len ? 0 : -1;
}

static int add(struct kvm_stat_sum *sums, int n, int max, const char *name,
	       uint64_t v)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(sums[i].name, name)) {
			sums[i].value += v;
			return n;
		}
	if (n == max)
		return n;
	snprintf(sums[n].name, sizeof(sums[n].name), "%s", name);
	sums[n].value = v;
	return n + 1;
}

int kvm_stats_add(int fd, const char *prefix, struct kvm_stat_sum *sums, int n,
		  int max, struct err *e)
{
	struct kvm_stats_header h;
	size_t dsize;
	char *descs = NULL;
	int sfd = ioctl(fd, KVM_GET_STATS_FD, NULL);

	if (sfd < 0)
		return err_errno(e, errno, "KVM_GET_STATS_FD");
	if (read_at(sfd, &h, sizeof(h), 0)) {
		err_errno(e, errno, "reading the KVM stats header");
		goto fail;
	}
	if (h.name_size == 0 || h.name_size > STATS_MAX_NAME || h.num_desc > STATS_MAX_DESC) {
		err_set(e, "KVM stats header out of bounds (name_size %u, num_desc %u)",
			h.name_size, h.num_desc);
		goto fail;
	}
	dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(dsize * h.num_desc + 1);
	if (!descs) {
		err_set(e, "out of memory for %u KVM stats descriptors", h.num_desc);
		goto fail;
	}
	if (read_at(sfd, descs, dsize * h.num_desc, h.desc_offset)) {
		err_errno(e, errno, "reading %u KVM stats descriptors", h.num_desc);
		goto fail;
	}
	for (uint32_t i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * dsize);
		uint64_t v;

		d->name[h.name_size - 1] = '\0';
		if (strncmp(d->name, prefix, strlen(prefix)) || d->size == 0)
			continue;
		if (read_at(sfd, &v, sizeof(v), (uint64_t)h.data_offset + d->offset)) {
			err_errno(e, errno, "reading KVM stat %s", d->name);
			goto fail;
		}
		n = add(sums, n, max, d->name, v);
	}
	free(descs);
	close(sfd);
	return n;
fail:
	free(descs);
	close(sfd);
	return -1;
}
