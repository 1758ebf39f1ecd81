/* SPDX-License-Identifier: MIT */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <asm/bootparam.h>

#include "acpi.h"
#include "exitcode.h"
#include "irq_routing.h"
#include "layout.h"
#include "mptable.h"
#include "tpt.h"
#include "tpt_abi.h"
#include "util.h"

#define MAX_KERNEL_SIZE		(512u << 20)
#define MAX_CPUID_ENTRIES	256

void vm_request_exit(struct vm *vm, int status, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&vm->lock);
	if (!vm->stopping) {
		vm->stopping = true;
		/* A panic seen on the console explains the reset that follows. */
		if (vm->panic_seen && (status == EXIT_REBOOT ||
				       status == EXIT_TRIPLE_FAULT ||
				       status == EXIT_GUEST_HALT))
			status = EXIT_PANIC;
		vm->exit_status = status;
		va_start(ap, fmt);
		vsnprintf(vm->exit_detail, sizeof(vm->exit_detail), fmt, ap);
		va_end(ap);
		pthread_cond_broadcast(&vm->done);
	}
	pthread_mutex_unlock(&vm->lock);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

/* Device callbacks. */
static void uart_irq(void *opaque, int level)
{
	struct vm *vm = opaque;
	struct kvm_irq_level irq = { .irq = UART_COM1_IRQ, .level = (uint32_t)level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq))
		vm_request_exit(vm, EXIT_VMM_ERROR, "KVM_IRQ_LINE(%d): %s",
				UART_COM1_IRQ, strerror(errno));
}

static void kbd_reset(void *opaque)
{
	vm_request_exit(opaque, EXIT_REBOOT, "reset through the i8042 controller");
}

static void acpi_poweroff(void *opaque)
{
	vm_request_exit(opaque, EXIT_POWEROFF, "ACPI power-off (S5)");
}

static void dbg_exit(void *opaque, uint8_t code)
{
	if (code == 0)
		vm_request_exit(opaque, EXIT_POWEROFF, "debug-exit port written with 0");
	else
		vm_request_exit(opaque, EXIT_GUEST_FAIL,
				"debug-exit port written with %u", code);
}

static void con_quit(void *opaque)
{
	vm_request_exit(opaque, EXIT_USER_QUIT, "Ctrl-A x on the console");
}

static void con_panic(void *opaque)
{
	struct vm *vm = opaque;

	pthread_mutex_lock(&vm->lock);
	vm->panic_seen = true;
	pthread_mutex_unlock(&vm->lock);
}

static void vcpu_end(void *opaque, int status, const char *detail)
{
	vm_request_exit(opaque, status, "%s", detail);
}

static int open_kvm(struct vm *vm, struct err *e)
{
	const char *path = vm->cfg.kvm_path;
	int r;

	vm->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int saved = errno;

		if (saved == ENOENT)
			return err_set(e, "%s does not exist: this host has no KVM (load kvm-intel or kvm-amd, or use the nested test bed in tools/testbed)", path);
		if (saved == EACCES || saved == EPERM)
			return err_set(e, "no permission to open %s: add this user to group 'kvm' (or run as root)", path);
		return err_errno(e, saved, "cannot open %s", path);
	}
	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION)
		return err_set(e, "%s speaks KVM API %d, tptvmm needs %d", path, r, KVM_API_VERSION);
	{
		static const struct { int cap; const char *name; } need[] = {
			{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
			{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
			{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
			{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
			{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
			{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
			{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
		};
		for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
			if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0)
				return err_set(e, "%s lacks %s", path, need[i].name);
	}
	r = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < (int)sizeof(struct kvm_run))
		return err_set(e, "KVM_GET_VCPU_MMAP_SIZE returned %d", r);
	vm->run_size = (size_t)r;
	r = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (r > 0 && vm->cfg.cpus > (unsigned int)r)
		return err_set(e, "--cpus %u: this host's KVM allows at most %d vCPUs",
			       vm->cfg.cpus, r);
	return 0;
}

static int create_vm_fd(struct vm *vm, struct err *e)
{
	struct kvm_pit_config pit = { .flags = 0 };
	uint64_t idmap = KVM_IDENTITY_MAP_ADDR;

	vm->vm_fd = ioctl_eintr(vm->kvm_fd, KVM_CREATE_VM, NULL);
	if (vm->vm_fd < 0)
		return err_errno(e, errno, "KVM_CREATE_VM");
	/* TPT must be negotiated before any vCPU exists. */
	if (vm->cfg.tpt && tpt_enable(vm->vm_fd, vm->cfg.tpt_mode, e))
		return -1;
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR))
		return err_errno(e, errno, "KVM_SET_TSS_ADDR");
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap))
		return err_errno(e, errno, "KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0))
		return err_errno(e, errno, "KVM_CREATE_IRQCHIP");
	if (irq_routing_install(vm->vm_fd, e))
		return -1;
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit))
		return err_errno(e, errno, "KVM_CREATE_PIT2");
	return 0;
}

static int setup_memory(struct vm *vm, struct err *e)
{
	struct guest_mem_opts o = {
		.hugepages = vm->cfg.hugepages,
		.prefault = vm->cfg.prefault,
	};

	if (guest_mem_alloc(&vm->mem, vm->cfg.mem, &o, e))
		return -1;
	/* Verify mode: KVM sees every device write first (docs/tpt-abi.md). */
	if (vm->cfg.tpt && vm->cfg.tpt_mode == KVM_TPT_MODE_VERIFY) {
		if (tpt_device_writes_supported(vm->vm_fd))
			vm->mem.announce = (struct guest_write_announcer){
				.begin = tpt_device_write_begin,
				.end = tpt_device_write_end,
				.ctx = &vm->vm_fd,
			};
		else
			fprintf(stderr, "tptvmm: --tpt=verify: this KVM has no KVM_TPT_DEVICE_WRITE (host patch 0037): device writes into checked page tables are not refused\n");
	}
	for (unsigned int i = 0; i < vm->mem.nr; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = vm->mem.r[i].gpa,
			.memory_size = vm->mem.r[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)vm->mem.r[i].hva,
		};

		if (ioctl_eintr(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
			return err_errno(e, errno, "KVM_SET_USER_MEMORY_REGION slot %u [0x%llx, +%llu MiB)",
					 i, (unsigned long long)r.guest_phys_addr,
					 (unsigned long long)(r.memory_size >> 20));
	}
	return 0;
}

/* Reads and validates input files before touching KVM, so bad input gets
 * the same clear error on any machine. */
static int read_inputs(struct vm *vm, struct err *e)
{
	const char *path = vm->cfg.raw ? vm->cfg.raw : vm->cfg.kernel;

	if (read_file(path, MAX_KERNEL_SIZE, &vm->img, &vm->img_len, e))
		return -1;
	if (vm->cfg.raw) {
		vm->kind = KERNEL_RAW;
		if (!vm->img_len)
			return err_set(e, "%s: raw image is empty", path);
	} else if (kernel_check(vm->img, vm->img_len, &vm->kind, e)) {
		return err_append(e, " (%s)", path);
	}
	if (vm->cfg.initrd) {
		if (read_file(vm->cfg.initrd, UINT32_MAX, &vm->initrd,
				  &vm->initrd_len, e))
			return err_prepend(e, "--initrd: ");
		if (vm->initrd_len >= vm->cfg.mem)
			return err_set(e, "initrd %s (%zu MiB) is larger than guest RAM (%llu MiB)",
				       vm->cfg.initrd, vm->initrd_len >> 20,
				       (unsigned long long)(vm->cfg.mem >> 20));
	}
	/* Disks and taps are opened (and refused) before KVM is touched. */
	return virtio_vm_create(&vm->virtio, &vm->cfg, &vm->mem, e);
}

static void free_inputs(struct vm *vm)
{
	free(vm->img);
	free(vm->initrd);
	vm->img = vm->initrd = NULL;
}

static int load_guest(struct vm *vm, struct err *e)
{
	int rc;

	if (vm->kind == KERNEL_RAW) {
		rc = load_raw(&vm->mem, vm->img, vm->img_len, vm->cfg.raw_addr,
			      vm->cfg.raw_mode, &vm->boot, e);
		if (!rc && vm->cfg.raw_mode == START_LONG64)
			rc = setup_long_mode_tables(&vm->mem, e);
		return rc;
	}
	if (vm->kind == KERNEL_BZIMAGE)
		rc = load_bzimage(&vm->mem, vm->img, vm->img_len, &vm->boot, e);
	else
		rc = load_elf(&vm->mem, vm->img, vm->img_len, &vm->boot, e);
	if (rc)
		return err_append(e, " (%s)", vm->cfg.kernel);
	vm->cmdline = virtio_vm_cmdline(&vm->virtio, vm->cfg.cmdline, e);
	if (!vm->cmdline)
		return -1;
	if (setup_boot_params(&vm->mem, &vm->boot, vm->cmdline, vm->initrd,
			      vm->initrd_len, e) ||
	    setup_long_mode_tables(&vm->mem, e) ||
	    mptable_write(&vm->mem, EBDA_START, vm->cfg.cpus, e))
		return -1;
	{
		struct boot_params *bp = guest_ptr(&vm->mem, BOOT_PARAMS_ADDR, sizeof(*bp));
		uint64_t rsdp;

		if (acpi_write_tables(&vm->mem, vm->cfg.cpus, &rsdp, e))
			return -1;
		bp->acpi_rsdp_addr = rsdp;
	}
	return 0;
}

static int setup_devices(struct vm *vm, struct err *e)
{
	uart_init(&vm->uart, console_tx, &vm->con, uart_irq, vm);
	i8042_init(&vm->kbd, kbd_reset, vm);
	acpi_pm_init(&vm->pm, acpi_poweroff, vm);
	debug_port_init(&vm->dbg, vm->t0_ms, stderr,
			dbg_exit, vm);
	vm->devices_ready = true;
	if (console_init(&vm->con, STDIN_FILENO, STDOUT_FILENO, &vm->uart,
			 con_quit, con_panic, vm, e))
		return -1;

	bus_init(&vm->pio, 0xff);
	bus_init(&vm->mmio, 0x00);
	if (bus_register(&vm->pio, UART_COM1_PORT, 8, uart_pio, &vm->uart, "COM1", e) ||
	    bus_register(&vm->pio, I8042_DATA_PORT, 1, i8042_pio_data, &vm->kbd, "i8042 data", e) ||
	    bus_register(&vm->pio, I8042_CMD_PORT, 1, i8042_pio_cmd, &vm->kbd, "i8042 cmd", e) ||
	    bus_register(&vm->pio, ACPI_PM1A_EVT_PORT, ACPI_PM_PORTS_LEN, acpi_pm_pio, &vm->pm, "ACPI PM1", e) ||
	    bus_register(&vm->pio, DEBUG_MARK_PORT, 2, debug_port_pio, &vm->dbg, "debug port", e))
		return -1;
	return virtio_vm_attach(&vm->virtio, vm->vm_fd, &vm->mmio, e);
}

static int get_cpuid(struct vm *vm, struct err *e)
{
	size_t sz = sizeof(struct kvm_cpuid2) +
		    MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2);

	vm->cpuid = calloc(1, sz);
	if (!vm->cpuid)
		return err_set(e, "out of memory for CPUID");
	vm->cpuid->nent = MAX_CPUID_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->cpuid))
		return err_errno(e, errno, "KVM_GET_SUPPORTED_CPUID");
	/*
	 * KVM emulates the local APIC's TSC-deadline mode on any host
	 * (KVM_CAP_TSC_DEADLINE_TIMER) but reports it in the supported CPUID
	 * only where the host CPU has it (not on AMD): offer it, as QEMU
	 * does. Without it Linux calibrates its APIC timer against the PIT
	 * at boot and, on a starved host, finds the two inconsistent and
	 * runs its tick on the PIT, broadcast to the other CPUs.
	 */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		for (unsigned int i = 0; i < vm->cpuid->nent; i++)
			if (vm->cpuid->entries[i].function == 1)
				vm->cpuid->entries[i].ecx |= 1u << 24;
	return 0;
}

int vm_create(struct vm *vm, const struct vm_config *cfg, double t0_ms,
	      struct err *e)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->t0_ms = t0_ms;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->con.stop_pipe[0] = vm->con.stop_pipe[1] = -1;
	pthread_mutex_init(&vm->lock, NULL);
	{
		pthread_condattr_t ca;

		/* --timeout waits on the monotonic clock. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&vm->done, &ca);
		pthread_condattr_destroy(&ca);
	}

	if (read_inputs(vm, e) || open_kvm(vm, e) || create_vm_fd(vm, e) ||
	    setup_memory(vm, e) || load_guest(vm, e) || setup_devices(vm, e) ||
	    get_cpuid(vm, e))
		goto fail;
	free_inputs(vm);
	vm->vcpu_env = (struct vcpu_env){
		.vm_fd = vm->vm_fd,
		.run_size = vm->run_size,
		.pio = &vm->pio,
		.mmio = &vm->mmio,
		.boot = &vm->boot,
		.cpuid = vm->cpuid,
		.nr_cpus = cfg->cpus,
		.tpt = cfg->tpt,
		.end = vcpu_end,
		.opaque = vm,
	};
	for (unsigned int i = 0; i < cfg->cpus; i++) {
		if (vcpu_create(&vm->vcpus[i], &vm->vcpu_env, i, e))
			goto fail;
		vm->nr_vcpus++;
	}
	return 0;
fail:
	vm_destroy(vm);
	return -1;
}

int vm_run(struct vm *vm, struct err *e)
{
	int status;

	if (console_start(&vm->con, e) || virtio_vm_start(&vm->virtio, e))
		return -1;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		if (vcpu_start(&vm->vcpus[i], e)) {
			vm_request_exit(vm, EXIT_VMM_ERROR, "%s", e->msg);
			break;
		}
	}
	pthread_mutex_lock(&vm->lock);
	if (vm->cfg.timeout_s) {
		struct timespec until;
		bool timed_out = false;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)vm->cfg.timeout_s;
		while (!vm->stopping && !timed_out)
			timed_out = pthread_cond_timedwait(&vm->done, &vm->lock, &until) == ETIMEDOUT;
		if (!vm->stopping) {
			pthread_mutex_unlock(&vm->lock);
			vm_request_exit(vm, EXIT_TIMEOUT, "guest still running after --timeout %u s",
					vm->cfg.timeout_s);
			pthread_mutex_lock(&vm->lock);
		}
	}
	while (!vm->stopping)
		pthread_cond_wait(&vm->done, &vm->lock);
	status = vm->exit_status;
	pthread_mutex_unlock(&vm->lock);

	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_join(&vm->vcpus[i]);
	/* Stopped from outside: where each vCPU was is the first clue. */
	if (status == EXIT_SIGNAL || status == EXIT_USER_QUIT || status == EXIT_TIMEOUT)
		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			vcpu_print_stop_state(&vm->vcpus[i], stderr);
	console_stop(&vm->con);
	virtio_vm_stop(&vm->virtio);
	return status;
}

void vm_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	vm->nr_vcpus = 0;
	if (vm->devices_ready) {
		console_destroy(&vm->con);
		uart_destroy(&vm->uart);
		i8042_destroy(&vm->kbd);
		acpi_pm_destroy(&vm->pm);
		debug_port_destroy(&vm->dbg);
		vm->devices_ready = false;
	}
	virtio_vm_destroy(&vm->virtio);
	free(vm->cmdline);
	vm->cmdline = NULL;
	free(vm->cpuid);
	vm->cpuid = NULL;
	free_inputs(vm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
	guest_mem_free(&vm->mem);
	pthread_cond_destroy(&vm->done);
	pthread_mutex_destroy(&vm->lock);
}

void vm_report(struct vm *vm, struct report *r)
{
	struct err e = { { 0 } };
	int fds[VM_MAX_CPUS];

	r->vcpus = vm->nr_vcpus;
	if (vm->devices_ready) {
		pthread_mutex_lock(&vm->dbg.lock);
		r->marks = vm->dbg.marks;
		r->nr_marks = vm->dbg.nr_marks;
		r->marks_dropped = vm->dbg.dropped;
		pthread_mutex_unlock(&vm->dbg.lock);
	}
	virtio_vm_report(&vm->virtio, r);
	if (!vm->cfg.tpt)
		return;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		fds[i] = vm->vcpus[i].fd;
	if (tpt_read_stats(vm->vm_fd, fds, vm->nr_vcpus, r->tpt_vm, &r->nr_tpt_vm,
			   r->tpt_vcpus, &r->nr_tpt_vcpus, REPORT_MAX_STATS, &e))
		memcpy(r->tpt_stats_error, e.msg, sizeof(r->tpt_stats_error));
	else
		r->tpt_stats_ok = true;
}
