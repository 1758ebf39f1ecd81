/* SPDX-License-Identifier: MIT */
#include "test_main.h"

#include "cpuid.h"
#include "tpt_abi.h"

static void fill(struct kvm_cpuid_entry2 *e, unsigned int *n)
{
	unsigned int i = 0;

	e[i++] = (struct kvm_cpuid_entry2){ .function = 1, .ebx = 0xff00abcd,
		.ecx = 1u << 5 };
	e[i++] = (struct kvm_cpuid_entry2){ .function = 0x80000001, .ecx = 1u << 2 | 1 };
	e[i++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
	e[i++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 1,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
	e[i++] = (struct kvm_cpuid_entry2){ .function = 0x40000001,
		.eax = (1u << KVM_FEATURE_TPT) | 0x3 };
	e[i++] = (struct kvm_cpuid_entry2){ .function = 0x80000008, .ecx = 0xf0ff };
	*n = i;
}

START_TEST(apic_ids_and_hypervisor_bit)
{
	struct kvm_cpuid_entry2 e[8], *l;
	unsigned int n;

	for (unsigned int v = 0; v < 4; v++) {
		fill(e, &n);
		cpuid_patch(e, n, v, 4, false);
		l = cpuid_find(e, n, 1, 0);
		ck_assert_uint_eq(l->ebx >> 24, v);
		ck_assert_uint_eq((l->ebx >> 16) & 0xff, 4);
		ck_assert_uint_eq(l->ebx & 0xffff, 0xabcd);
		ck_assert(l->ecx & (1u << 31));
		ck_assert_uint_eq(cpuid_find(e, n, 0xb, 0)->edx, v);
		ck_assert_uint_eq(cpuid_find(e, n, 0xb, 1)->edx, v);
		ck_assert_uint_eq(cpuid_find(e, n, 0xb, 1)->ebx, 4);
		ck_assert_uint_eq(cpuid_find(e, n, 0xb, 1)->eax, 2);
		ck_assert_uint_eq(cpuid_find(e, n, 0x80000008, 0)->ecx & 0xff, 3);
	}
}
END_TEST

START_TEST(tpt_bit_only_when_negotiated)
{
	struct kvm_cpuid_entry2 e[8];
	unsigned int n;

	fill(e, &n);
	cpuid_patch(e, n, 0, 1, false);
	ck_assert_uint_eq(cpuid_find(e, n, 0x40000001, 0)->eax, 0x3);
	fill(e, &n);
	cpuid_patch(e, n, 0, 1, true);
	ck_assert(cpuid_find(e, n, 0x40000001, 0)->eax & (1u << KVM_FEATURE_TPT));
	ck_assert_ptr_null(cpuid_find(e, n, 0x12345, 0));
}
END_TEST

START_TEST(no_nested_virt_with_tpt)
{
	struct kvm_cpuid_entry2 e[8];
	unsigned int n;

	fill(e, &n);
	cpuid_patch(e, n, 0, 1, false);
	ck_assert(cpuid_find(e, n, 1, 0)->ecx & (1u << 5));
	ck_assert_uint_eq(cpuid_find(e, n, 0x80000001, 0)->ecx, 1u << 2 | 1);
	fill(e, &n);
	cpuid_patch(e, n, 0, 1, true);
	ck_assert(!(cpuid_find(e, n, 1, 0)->ecx & (1u << 5)));
	ck_assert_uint_eq(cpuid_find(e, n, 0x80000001, 0)->ecx, 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cpuid");
	TCase *t = tcase_create("core");

	tcase_add_test(t, apic_ids_and_hypervisor_bit);
	tcase_add_test(t, tpt_bit_only_when_negotiated);
	tcase_add_test(t, no_nested_virt_with_tpt);
	suite_add_tcase(s, t);
	return s;
}
