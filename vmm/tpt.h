/* SPDX-License-Identifier: MIT */
/*
 * TPT capability negotiation with KVM (see docs/tpt-abi.md). Runs on the VM
 * fd before any vCPU exists. A host without the capability is an error
 * that names what is missing: tptvmm never pretends TPT is on.
 */
#ifndef TPTVMM_TPT_H
#define TPTVMM_TPT_H

#include <stdio.h>

#include "err.h"

/* Returns > 0 if the host offers TPT, 0 if not, -1 on ioctl failure. */
int tpt_host_support(int vm_fd);
int tpt_enable(int vm_fd, int mode, struct err *e);
const char *tpt_mode_name(int mode);

/*
 * Prints KVM's TPT statistics on one line: the VM's, then the sums over
 * @nr vCPU fds. Returns 0, or -1 with @e set.
 */
int tpt_print_stats(FILE *out, int vm_fd, const int *vcpu_fds, unsigned int nr,
		    struct err *e);

#endif
