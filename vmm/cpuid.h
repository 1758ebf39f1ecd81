/* SPDX-License-Identifier: MIT */
/*
 * Per-vCPU CPUID: start from KVM_GET_SUPPORTED_CPUID and fix what a guest
 * needs to find itself (APIC IDs, topology, the hypervisor bit so the guest
 * uses kvm-clock) and what it must not see (TPT unless negotiated; with
 * TPT, nested virtualization: no VMX or SVM bit, as KVM refuses TPT while
 * CR4.VMXE or EFER.SVME is set).
 */
#ifndef TPTVMM_CPUID_H
#define TPTVMM_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>

void cpuid_patch(struct kvm_cpuid_entry2 *ent, unsigned int nent,
		 unsigned int vcpu, unsigned int ncpus, bool tpt);

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid_entry2 *ent,
				    unsigned int nent, unsigned int fn,
				    unsigned int idx);

#endif
