/* SPDX-License-Identifier: MIT */
/*
 * Checks the KVM side of the TPT capability (docs/tpt-abi.md, section 1,
 * 2 and 4) against a real /dev/kvm: the modes mask, enabling per VM and its
 * error cases, several TPT VMs at once, the CPUID bit in
 * KVM_GET_SUPPORTED_CPUID and the tpt_mode statistic. Runs in the test
 * bed's L1 on the patched KVM. Prints PASS/FAIL lines; exit status 0 when
 * every check passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "tpt_abi.h"

struct result {
	int pass, fail;
};

static void check(struct result *r, bool ok, const char *what, long got)
{
	printf("%s %s (got %ld)\n", ok ? "PASS" : "FAIL", what, got);
	if (ok)
		r->pass++;
	else
		r->fail++;
}

static int enable(int vm, uint64_t mode, uint64_t arg1, uint32_t flags)
{
	struct kvm_enable_cap cap;

	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_X86_TPT;
	cap.flags = flags;
	cap.args[0] = mode;
	cap.args[1] = arg1;
	return ioctl(vm, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

static int new_vm(int kvm)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);

	if (vm < 0) {
		perror("KVM_CREATE_VM");
		exit(2);
	}
	return vm;
}

/* Value of the VM statistic @name, or -1. */
static long vm_stat(int vm, const char *name)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t dsz;
	long val = -1;
	char *descs;
	int fd = ioctl(vm, KVM_GET_STATS_FD, NULL);

	if (fd < 0)
		return -1;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		goto out;
	dsz = sizeof(*d) + h.name_size;
	descs = calloc(h.num_desc, dsz);
	if (!descs)
		goto out;
	if (pread(fd, descs, dsz * h.num_desc, h.desc_offset) != (ssize_t)(dsz * h.num_desc))
		goto out_free;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		uint64_t v;

		d = (struct kvm_stats_desc *)(descs + i * dsz);
		if (strncmp(d->name, name, h.name_size) || d->size != 1)
			continue;
		if (pread(fd, &v, sizeof(v), h.data_offset + d->offset) == sizeof(v))
			val = (long)v;
		break;
	}
out_free:
	free(descs);
out:
	close(fd);
	return val;
}

static bool supported_cpuid_has_tpt(int kvm)
{
	struct kvm_cpuid2 *c;
	bool found = false;
	const unsigned int n = 256;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return false;
	c->nent = n;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) == 0)
		for (unsigned int i = 0; i < c->nent; i++)
			if (c->entries[i].function == 0x40000001)
				found = c->entries[i].eax & (1u << KVM_FEATURE_TPT);
	free(c);
	return found;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/kvm";
	const int both = (1 << KVM_TPT_MODE_VERIFY) | (1 << KVM_TPT_MODE_TRUST);
	struct result r = { 0, 0 };
	int kvm, a, b, c, vcpu;
	long got;

	kvm = open(path, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "tpt_cap_test: %s: %s\n", path, strerror(errno));
		return 2;
	}
	got = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_TPT);
	check(&r, got == both, "system KVM_CHECK_EXTENSION reports verify and trust", got);
	check(&r, supported_cpuid_has_tpt(kvm), "KVM_GET_SUPPORTED_CPUID offers KVM_FEATURE_TPT", 0);

	a = new_vm(kvm);
	got = ioctl(a, KVM_CHECK_EXTENSION, KVM_CAP_X86_TPT);
	check(&r, got == both, "VM KVM_CHECK_EXTENSION reports verify and trust", got);
	check(&r, vm_stat(a, "tpt_mode") == 0, "tpt_mode is 0 before enabling", vm_stat(a, "tpt_mode"));
	got = enable(a, 0, 0, 0);
	check(&r, got == -EINVAL, "mode 0 is refused with EINVAL", got);
	got = enable(a, 3, 0, 0);
	check(&r, got == -EINVAL, "unknown mode 3 is refused with EINVAL", got);
	got = enable(a, 1ULL << 40, 0, 0);
	check(&r, got == -EINVAL, "huge mode is refused with EINVAL", got);
	got = enable(a, KVM_TPT_MODE_VERIFY, 1, 0);
	check(&r, got == -EINVAL, "nonzero args[1] is refused with EINVAL", got);
	got = enable(a, KVM_TPT_MODE_VERIFY, 0, 1);
	check(&r, got == -EINVAL, "nonzero flags are refused with EINVAL", got);
	got = enable(a, KVM_TPT_MODE_VERIFY, 0, 0);
	check(&r, got == 0, "verify mode enables", got);
	got = vm_stat(a, "tpt_mode");
	check(&r, got == KVM_TPT_MODE_VERIFY, "tpt_mode statistic is 1 (verify)", got);
	got = enable(a, KVM_TPT_MODE_TRUST, 0, 0);
	check(&r, got == -EBUSY, "enabling twice is refused with EBUSY", got);

	b = new_vm(kvm);
	got = enable(b, KVM_TPT_MODE_TRUST, 0, 0);
	check(&r, got == 0, "a second VM enables trust mode while the first is on", got);
	got = vm_stat(b, "tpt_mode");
	check(&r, got == KVM_TPT_MODE_TRUST, "second VM's tpt_mode is 2 (trust)", got);

	c = new_vm(kvm);
	vcpu = ioctl(c, KVM_CREATE_VCPU, 0);
	check(&r, vcpu >= 0, "third VM creates a vCPU", vcpu);
	got = enable(c, KVM_TPT_MODE_VERIFY, 0, 0);
	check(&r, got == -EBUSY, "enabling after a vCPU exists is refused with EBUSY", got);
	check(&r, vm_stat(c, "tpt_mode") == 0, "that VM's tpt_mode stays 0", vm_stat(c, "tpt_mode"));

	close(vcpu);
	close(c);
	close(b);
	close(a);
	close(kvm);
	printf("tpt_cap_test: %d passed, %d failed\n", r.pass, r.fail);
	return r.fail ? 1 : 0;
}
