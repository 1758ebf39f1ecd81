/* SPDX-License-Identifier: MIT */
/*
 * One vCPU: its KVM fd, its kvm_run page and the thread that runs it.
 * A vCPU knows nothing of the VM around it. It is given what it needs
 * (struct vcpu_env: the VM fd, the port and MMIO buses, the boot state,
 * the CPUID template) and reports why it stopped through env->end; the
 * VM decides what that means and stops every vCPU with vcpu_kick.
 */
#ifndef TPTVMM_VCPU_H
#define TPTVMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bus.h"
#include "err.h"
#include "loader.h"

struct vcpu_env {
	int vm_fd;
	size_t run_size;		/* KVM_GET_VCPU_MMAP_SIZE */
	struct bus *pio, *mmio;		/* port I/O and MMIO exits go here */
	const struct boot_info *boot;	/* where vCPU 0 starts */
	const struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID, patched per vCPU */
	unsigned int nr_cpus;		/* for the CPUID topology */
	bool tpt;			/* pass the KVM_FEATURE_TPT bit */
	/*
	 * The guest or KVM ended this vCPU's run: @status is an exit status
	 * (exitcode.h), @detail says why. Called on the vCPU's thread; the
	 * callee is expected to kick every vCPU.
	 */
	void (*end)(void *opaque, int status, const char *detail);
	void *opaque;
};

struct vcpu {
	const struct vcpu_env *env;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	bool stop;			/* set by vcpu_kick, read atomically */
};

/* Creates vCPU @id with its CPUID, MSRs and LAPIC; vCPU 0 also gets the
 * boot registers, the others wait for INIT/SIPI. */
int vcpu_create(struct vcpu *v, const struct vcpu_env *env, unsigned int id,
		struct err *e);
/* Starts the thread that runs the vCPU until it is kicked. */
int vcpu_start(struct vcpu *v, struct err *e);
/* Makes the vCPU leave KVM_RUN and its thread end (any thread, any time). */
void vcpu_kick(struct vcpu *v);
/* Waits for the thread (if started) to end. */
void vcpu_join(struct vcpu *v);
/* Prints where the vCPU stopped (rip, rsp, rflags, halted); after join. */
void vcpu_print_stop_state(const struct vcpu *v, FILE *out);
void vcpu_destroy(struct vcpu *v);

#endif
