/* SPDX-License-Identifier: MIT */
/*
 * The TPT ABI between tptvmm, the patched KVM (host_kernel/) and the
 * enlightened guest (guest_kernel/). docs/tpt-abi.md is the contract; the
 * numbers here must match it. They are outside the ranges upstream KVM
 * uses (capabilities are numbered from 0 upwards and were below 250 in
 * 2026; paravirt feature bits 0..17 and 24 are taken).
 */
#ifndef TPTVMM_TPT_ABI_H
#define TPTVMM_TPT_ABI_H

#include <linux/kvm.h>
#include <linux/types.h>

/* KVM_CHECK_EXTENSION / KVM_ENABLE_CAP on the VM fd, before vCPUs exist. */
#define KVM_CAP_X86_TPT			0x5450

/* KVM_ENABLE_CAP args[0]: isolation mode. */
#define KVM_TPT_MODE_VERIFY		1	/* walk tables, check ownership */
#define KVM_TPT_MODE_TRUST		2	/* models hardware memory tagging */

/* CPUID 0x40000001 EAX bit: the host offers TPT to this guest. */
#define KVM_FEATURE_TPT			29

/*
 * KVM_TPT_DEVICE_WRITE on the VM fd (host patch 0037): the VMM announces a
 * device write into guest memory [gpa, gpa + len) before it makes it
 * (KVM_TPT_DW_BEGIN, which returns id; -EPERM if the range holds a page
 * table of a checked tree in verify mode) and ends it after (KVM_TPT_DW_END
 * with that id). At most 4096 frames per announcement.
 */
struct kvm_tpt_device_write {
	__u64 gpa;
	__u64 len;
	__u32 flags;
	__u32 id;
};

#define KVM_TPT_DW_BEGIN		1
#define KVM_TPT_DW_END			2
#define KVM_TPT_DEVICE_WRITE		_IOWR(KVMIO, 0xd8, struct kvm_tpt_device_write)

#endif
