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
	if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap))
		return err_errno(e, errno, "--tpt=%s: KVM_ENABLE_CAP(KVM_CAP_X86_TPT)",
				 tpt_mode_name(mode));
	return 0;
}
