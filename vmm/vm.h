/* SPDX-License-Identifier: MIT */
/*
 * One virtual machine: the KVM VM fd, guest RAM, devices, vCPUs and the
 * single place where the VM's end is decided (vm_request_exit: first
 * caller wins, every vCPU is kicked out of KVM_RUN).
 */
#ifndef TPTVMM_VM_H
#define TPTVMM_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "acpi_pm.h"
#include "bus.h"
#include "config.h"
#include "console.h"
#include "debug_port.h"
#include "err.h"
#include "guest_mem.h"
#include "i8042.h"
#include "loader.h"
#include "report.h"
#include "uart.h"
#include "vcpu.h"
#include "virtio_vm.h"

struct vm {
	struct vm_config cfg;
	double t0_ms;
	int kvm_fd, vm_fd;
	size_t run_size;
	struct guest_mem mem;
	struct boot_info boot;
	uint8_t *img, *initrd;		/* input files, freed after loading */
	size_t img_len, initrd_len;
	enum kernel_kind kind;
	struct bus pio, mmio;
	struct uart uart;
	struct i8042 kbd;
	struct acpi_pm pm;
	struct debug_port dbg;
	struct console con;
	struct virtio_vm virtio;
	char *cmdline;			/* cfg.cmdline + the virtio devices */
	bool devices_ready;
	struct kvm_cpuid2 *cpuid;
	struct vcpu_env vcpu_env;	/* what every vCPU is given */
	struct vcpu vcpus[VM_MAX_CPUS];
	unsigned int nr_vcpus;

	pthread_mutex_t lock;
	pthread_cond_t done;
	bool stopping;
	int exit_status;
	char exit_detail[256];
	bool panic_seen;
};

/* Sets up everything short of running; on error the VM is torn down. */
int vm_create(struct vm *vm, const struct vm_config *cfg, double t0_ms,
	      struct err *e);
/* Runs until the guest or the user ends it; returns the exit status. */
int vm_run(struct vm *vm, struct err *e);
void vm_destroy(struct vm *vm);
/*
 * After vm_run: fills @r (report_init'ed) with the guest's marks, the
 * devices and, with --tpt, KVM's TPT statistics. @r points into @vm:
 * write it before vm_destroy.
 */
void vm_report(struct vm *vm, struct report *r);

void vm_request_exit(struct vm *vm, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
