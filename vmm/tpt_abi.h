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

/* KVM_CHECK_EXTENSION / KVM_ENABLE_CAP on the VM fd, before vCPUs exist. */
#define KVM_CAP_X86_TPT			0x5450

/* KVM_ENABLE_CAP args[0]: isolation mode. */
#define KVM_TPT_MODE_VERIFY		1	/* walk tables, check ownership */
#define KVM_TPT_MODE_TRUST		2	/* models hardware memory tagging */

/* CPUID 0x40000001 EAX bit: the host offers TPT to this guest. */
#define KVM_FEATURE_TPT			29

#endif
