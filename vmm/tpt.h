/* SPDX-License-Identifier: MIT */
/*
 * TPT capability negotiation with KVM (see docs/tpt-abi.md). Runs on the VM
 * fd before any vCPU exists. A host without the capability is an error
 * that names what is missing: tptvmm never pretends TPT is on.
 */
#ifndef TPTVMM_TPT_H
#define TPTVMM_TPT_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "kvm_stats.h"

/* Returns > 0 if the host offers TPT, 0 if not, -1 on ioctl failure. */
int tpt_host_support(int vm_fd);
int tpt_enable(int vm_fd, int mode, struct err *e);
const char *tpt_mode_name(int mode);

/*
 * Device writes into guest memory announced to KVM (verify mode, host
 * patch 0037): whether this KVM takes them, and the announcer's begin
 * (0 and an id, or -errno: KVM refused, e.g. a checked page table) and
 * end; @ctx points to the VM fd.
 */
int tpt_device_writes_supported(int vm_fd);
int tpt_device_write_begin(void *ctx, uint64_t gpa, uint64_t len, uint32_t *id);
void tpt_device_write_end(void *ctx, uint32_t id);

/*
 * Reads KVM's TPT statistics (names "tpt_*"): the VM's into @vm_s (*@nv
 * entries) and the sums over @nr vCPU fds into @vcpu_s (*@nc), room for
 * @max each. Returns 0, or -1 with @e set.
 */
int tpt_read_stats(int vm_fd, const int *vcpu_fds, unsigned int nr,
		   struct kvm_stat_sum *vm_s, int *nv, struct kvm_stat_sum *vcpu_s,
		   int *nc, int max, struct err *e);
/* Prints them on one line: "tptvmm: KVM TPT stats: vm ...; vcpus(N) ...". */
void tpt_print_stats(FILE *out, const struct kvm_stat_sum *vm_s, int nv,
		     const struct kvm_stat_sum *vcpu_s, int nc, unsigned int nr);

#endif
