/* SPDX-License-Identifier: MIT */
/*
 * KVM's binary statistics (KVM_GET_STATS_FD) of a VM or vCPU fd, read by
 * name prefix: tptvmm reports KVM's TPT counters with them at exit.
 */
#ifndef TPTVMM_KVM_STATS_H
#define TPTVMM_KVM_STATS_H

#include <stdint.h>

#include "err.h"

#define KVM_STAT_NAME_MAX 48

struct kvm_stat_sum {
	char name[KVM_STAT_NAME_MAX];
	uint64_t value;
};

/*
 * Adds the first value of every statistic of @fd whose name starts with
 * @prefix to the entry of the same name in @sums (@n entries in use, room
 * for @max), appending entries for new names. Returns the new count, or
 * -1 with @e set.
 */
int kvm_stats_add(int fd, const char *prefix, struct kvm_stat_sum *sums, int n,
		  int max, struct err *e);

#endif
