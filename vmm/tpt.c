/* SPDX-License-Identifier: MIT */
#include "tpt.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "tpt_abi.h"

int tpt_host_support(int vm_fd)
{
	int r = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_TPT);

	return r < 0 ? -1 : r;
}

const char *tpt_mode_name(int mode)
{
	switch (mode) {
	case KVM_TPT_MODE_VERIFY:
		return "verify";
	case KVM_TPT_MODE_TRUST:
		return "trust";
	default:
		return "unknown";
	}
}

int tpt_enable(int vm_fd, int mode, struct err *e)
{
	struct kvm_enable_cap cap;
	int r = tpt_host_support(vm_fd);

	if (r < 0)
		return err_errno(e, errno, "--tpt: KVM_CHECK_EXTENSION(KVM_CAP_X86_TPT)");
	if (r == 0)
		return err_set(e,
			"--tpt: this host's KVM does not offer TPT (capability KVM_CAP_X86_TPT = 0x%x is missing); load the patched KVM modules from host_kernel/",
			KVM_CAP_X86_TPT);
	if (!(r & (1 << mode)))
		return err_set(e, "--tpt=%s: this host's KVM offers TPT but not %s mode (modes mask 0x%x)",
			       tpt_mode_name(mode), tpt_mode_name(mode), r);
	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_X86_TPT;
	cap.args[0] = (unsigned long long)mode;
	if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap)) {
		if (errno == EPERM)
			return err_set(e, "--tpt=%s: KVM refused TPT: it needs CAP_SYS_RAWIO, as /dev/mem does (TPT decides which host memory the guest reaches); run tptvmm as root or give it that capability",
				       tpt_mode_name(mode));
		return err_errno(e, errno, "--tpt=%s: KVM_ENABLE_CAP(KVM_CAP_X86_TPT)",
				 tpt_mode_name(mode));
	}
	return 0;
}

int tpt_read_stats(int vm_fd, const int *vcpu_fds, unsigned int nr,
		   struct kvm_stat_sum *vm_s, int *nv, struct kvm_stat_sum *vcpu_s,
		   int *nc, int max, struct err *e)
{
	*nv = kvm_stats_add(vm_fd, "tpt_", vm_s, 0, max, e);
	if (*nv < 0)
		return -1;
	*nc = 0;
	for (unsigned int i = 0; i < nr; i++) {
		*nc = kvm_stats_add(vcpu_fds[i], "tpt_", vcpu_s, *nc, max, e);
		if (*nc < 0)
			return -1;
	}
	return 0;
}

void tpt_print_stats(FILE *out, const struct kvm_stat_sum *vm_s, int nv,
		     const struct kvm_stat_sum *vcpu_s, int nc, unsigned int nr)
{
	fprintf(out, "tptvmm: KVM TPT stats: vm");
	for (int i = 0; i < nv; i++)
		fprintf(out, " %s=%llu", vm_s[i].name, (unsigned long long)vm_s[i].value);
	fprintf(out, "; vcpus(%u)", nr);
	for (int i = 0; i < nc; i++)
		fprintf(out, " %s=%llu", vcpu_s[i].name, (unsigned long long)vcpu_s[i].value);
	fprintf(out, "\n");
}

int tpt_device_writes_supported(int vm_fd)
{
	struct kvm_tpt_device_write dw;

	/* No flags: EINVAL where the ioctl exists, ENOTTY where it does not. */
	memset(&dw, 0, sizeof(dw));
	return ioctl(vm_fd, KVM_TPT_DEVICE_WRITE, &dw) && errno == EINVAL;
}

int tpt_device_write_begin(void *ctx, uint64_t gpa, uint64_t len, uint32_t *id)
{
	struct kvm_tpt_device_write dw;

	memset(&dw, 0, sizeof(dw));
	dw.gpa = gpa;
	dw.len = len;
	dw.flags = KVM_TPT_DW_BEGIN;
	if (ioctl(*(const int *)ctx, KVM_TPT_DEVICE_WRITE, &dw))
		return -errno;
	*id = dw.id;
	return 0;
}

void tpt_device_write_end(void *ctx, uint32_t id)
{
	struct kvm_tpt_device_write dw;

	memset(&dw, 0, sizeof(dw));
	dw.flags = KVM_TPT_DW_END;
	dw.id = id;
	/* Cannot fail for an id begin returned; KVM frees leftovers with the VM. */
	(void)ioctl(*(const int *)ctx, KVM_TPT_DEVICE_WRITE, &dw);
}
