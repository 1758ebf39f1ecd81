/* SPDX-License-Identifier: MIT */
#include "cpuid.h"

#include <stddef.h>

#include "tpt_abi.h"

#define CPUID_HYPERVISOR_BIT	(1u << 31)
#define CPUID_1_ECX_VMX		(1u << 5)
#define CPUID_80000001_ECX_SVM	(1u << 2)
#define KVM_SIG_LEAF		0x40000000u
#define KVM_FEATURES_LEAF	0x40000001u

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid_entry2 *ent,
				    unsigned int nent, unsigned int fn,
				    unsigned int idx)
{
	for (unsigned int i = 0; i < nent; i++) {
		if (ent[i].function != fn)
			continue;
		if ((ent[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    ent[i].index != idx)
			continue;
		return &ent[i];
	}
	return NULL;
}

static unsigned int order_of(unsigned int n)
{
	unsigned int s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

void cpuid_patch(struct kvm_cpuid_entry2 *ent, unsigned int nent,
		 unsigned int vcpu, unsigned int ncpus, bool tpt)
{
	unsigned int shift = order_of(ncpus);

	for (unsigned int i = 0; i < nent; i++) {
		struct kvm_cpuid_entry2 *e = &ent[i];

		switch (e->function) {
		case 1:
			e->ebx &= 0x0000ffffu;
			e->ebx |= (vcpu & 0xffu) << 24;
			e->ebx |= ((ncpus > 0xff ? 0xff : ncpus) & 0xffu) << 16;
			e->ecx |= CPUID_HYPERVISOR_BIT;
			if (ncpus > 1)
				e->edx |= 1u << 28;	/* HTT: ebx[23:16] valid */
			/* KVM refuses TPT while nested virtualization is on. */
			if (tpt)
				e->ecx &= ~CPUID_1_ECX_VMX;
			break;
		case 0x80000001:
			if (tpt)
				e->ecx &= ~CPUID_80000001_ECX_SVM;
			break;
		case 4:
			/* Cores per package - 1 in eax[31:26] (Intel). */
			e->eax &= 0x03ffffffu;
			e->eax |= ((ncpus - 1) & 0x3fu) << 26;
			break;
		case 0xb:
		case 0x1f:
			/* One thread per core, every vCPU a core of one package. */
			e->edx = vcpu;
			if (e->index == 0) {
				e->eax = 0;
				e->ebx = 1;
				e->ecx = (1u << 8) | 0;
			} else if (e->index == 1) {
				e->eax = shift;
				e->ebx = ncpus;
				e->ecx = (2u << 8) | 1;
			} else {
				e->eax = 0;
				e->ebx = 0;
				e->ecx = e->index;
			}
			break;
		case 0x80000008:
			/* AMD: ApicIdSize and NC (cores - 1). */
			e->ecx &= ~0xf0ffu;
			e->ecx |= (shift & 0xfu) << 12;
			e->ecx |= (ncpus - 1) & 0xffu;
			break;
		case 0x8000001e:
			/* AMD: extended APIC ID, core ID, one node. */
			e->eax = vcpu;
			e->ebx = vcpu & 0xffu;
			e->ecx = 0;
			break;
		case KVM_FEATURES_LEAF:
			if (!tpt)
				e->eax &= ~(1u << KVM_FEATURE_TPT);
			break;
		default:
			break;
		}
	}
}
