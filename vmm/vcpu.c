/* SPDX-License-Identifier: MIT */
#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpuid.h"
#include "exitcode.h"
#include "layout.h"

#define APIC_LVT_LINT0		0x350
#define APIC_LVT_LINT1		0x360
#define APIC_MODE_NMI		0x4
#define APIC_MODE_EXTINT	0x7
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MISC_ENABLE_FAST_STRING	1ULL

#define X86_CR0_PE		0x1ULL
#define X86_CR0_ET		0x10ULL
#define X86_CR0_PG		0x80000000ULL
#define X86_CR4_PAE		0x20ULL
#define EFER_LME		0x100ULL
#define EFER_LMA		0x400ULL

static void set_lvt(struct kvm_lapic_state *l, int reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &l->regs[reg], sizeof(v));
	v = (v & ~0x700u) | (mode << 8);
	memcpy(&l->regs[reg], &v, sizeof(v));
}

static int setup_lapic(struct vcpu *v, struct err *e)
{
	struct kvm_lapic_state l;

	if (ioctl(v->fd, KVM_GET_LAPIC, &l))
		return err_errno(e, errno, "vCPU %u: KVM_GET_LAPIC", v->id);
	set_lvt(&l, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	set_lvt(&l, APIC_LVT_LINT1, APIC_MODE_NMI);
	if (ioctl(v->fd, KVM_SET_LAPIC, &l))
		return err_errno(e, errno, "vCPU %u: KVM_SET_LAPIC", v->id);
	return 0;
}

static int setup_cpuid(struct vcpu *v, struct err *e)
{
	const struct vcpu_env *env = v->env;
	size_t sz = sizeof(struct kvm_cpuid2) +
		    env->cpuid->nent * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = malloc(sz);
	int rc = 0;

	if (!c)
		return err_set(e, "out of memory for CPUID");
	memcpy(c, env->cpuid, sz);
	cpuid_patch(c->entries, c->nent, v->id, env->nr_cpus, env->tpt);
	if (ioctl(v->fd, KVM_SET_CPUID2, c))
		rc = err_errno(e, errno, "vCPU %u: KVM_SET_CPUID2", v->id);
	free(c);
	return rc;
}

static void seg64(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	if (code)
		s->l = 1;
	else
		s->db = 1;
}

static int setup_boot_regs(struct vcpu *v, struct err *e)
{
	const struct boot_info *bi = v->env->boot;
	struct kvm_sregs sr;
	struct kvm_regs r;
	struct kvm_fpu fpu;

	if (ioctl(v->fd, KVM_GET_SREGS, &sr))
		return err_errno(e, errno, "KVM_GET_SREGS");
	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;

	if (bi->mode == START_REAL16) {
		struct kvm_segment *segs[] = { &sr.cs, &sr.ds, &sr.es, &sr.fs, &sr.gs, &sr.ss };

		for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
			segs[i]->selector = (uint16_t)(bi->entry >> 4);
			segs[i]->base = bi->entry & ~0xfULL;
		}
		r.rip = bi->entry & 0xf;
		r.rsp = BOOT_REAL_SP;
	} else {
		seg64(&sr.cs, BOOT_CS_SELECTOR, 0xb, true);
		seg64(&sr.ds, BOOT_DS_SELECTOR, 0x3, false);
		sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
		memset(&sr.tr, 0, sizeof(sr.tr));
		sr.tr.selector = BOOT_TSS_SELECTOR;
		sr.tr.limit = 0xfff;
		sr.tr.type = 0xb;	/* 64-bit busy TSS */
		sr.tr.present = 1;
		sr.gdt.base = BOOT_GDT_ADDR;
		sr.gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
		sr.idt.base = 0;
		sr.idt.limit = 0;
		sr.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
		sr.cr3 = BOOT_PML4_ADDR;
		sr.cr4 = X86_CR4_PAE;
		sr.efer = EFER_LME | EFER_LMA;
		r.rip = bi->entry;
		r.rsi = bi->boot_params;
		r.rsp = BOOT_STACK_ADDR;
		r.rbp = BOOT_STACK_ADDR;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &sr))
		return err_errno(e, errno, "KVM_SET_SREGS");
	if (ioctl(v->fd, KVM_SET_REGS, &r))
		return err_errno(e, errno, "KVM_SET_REGS");
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(v->fd, KVM_SET_FPU, &fpu))
		return err_errno(e, errno, "KVM_SET_FPU");
	return 0;
}

static int setup_msrs(struct vcpu *v, struct err *e)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry ent[1];
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.ent[0].index = MSR_IA32_MISC_ENABLE;
	m.ent[0].data = MISC_ENABLE_FAST_STRING;
	if (ioctl(v->fd, KVM_SET_MSRS, &m) != 1)
		return err_set(e, "vCPU %u: KVM_SET_MSRS(IA32_MISC_ENABLE) failed", v->id);
	return 0;
}

int vcpu_create(struct vcpu *v, const struct vcpu_env *env, unsigned int id,
		struct err *e)
{
	void *run;

	memset(v, 0, sizeof(*v));
	v->env = env;
	v->id = id;
	v->fd = ioctl(env->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return err_errno(e, errno, "KVM_CREATE_VCPU %u", id);
	run = mmap(NULL, env->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED) {
		int saved = errno;

		close(v->fd);
		v->fd = -1;
		return err_errno(e, saved, "vCPU %u: mmap kvm_run", id);
	}
	v->run = run;
	if (setup_cpuid(v, e) || setup_msrs(v, e) || setup_lapic(v, e))
		goto fail;
	/* The boot vCPU starts at the entry; APs wait for INIT/SIPI. */
	if (id == 0 && setup_boot_regs(v, e))
		goto fail;
	return 0;
fail:
	vcpu_destroy(v);
	return -1;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, v->env->run_size);
	v->run = NULL;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

/* Tells the VM why this vCPU's run ended. */
static void end(struct vcpu *v, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void end(struct vcpu *v, int status, const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	v->env->end(v->env->opaque, status, detail);
}

/*
 * Debug port 0x502: the vCPU's nested-virtualization state read and
 * written back unchanged, part of the state round trip a VMM makes to
 * save or migrate a vCPU. It changes nothing the guest can see (tptvmm's
 * guests have no VMX or SVM, so the state is only its header), except
 * that KVM ends TPT and drops the arm on KVM_SET_NESTED_STATE: tests use
 * it to make KVM disarm a TPT guest behind its back (tools/guest/tpt-exits,
 * event "drift"). Not KVM_SET_SREGS, which does the same: under QEMU's
 * SVM emulation (the AMD test bed) it leaves TR marked busy, and QEMU
 * then refuses every later user-mode port access with #GP.
 */
static void state_round_trip(struct vcpu *v)
{
	struct kvm_nested_state ns = { .size = sizeof(ns) };

	if (ioctl(v->fd, KVM_GET_NESTED_STATE, &ns) ||
	    ioctl(v->fd, KVM_SET_NESTED_STATE, &ns))
		end(v, EXIT_VMM_ERROR, "vCPU %u: KVM_GET/SET_NESTED_STATE for debug port 0x%x: %s",
		    v->id, DEBUG_STATE_PORT, strerror(errno));
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	size_t run_size = v->env->run_size;
	uint64_t size = run->io.size, count = run->io.count;
	uint64_t off = run->io.data_offset;
	bool wr = run->io.direction == KVM_EXIT_IO_OUT;
	uint8_t *data = (uint8_t *)run + off;

	/* The kernel fills these, but check them against the mapping anyway. */
	if ((size != 1 && size != 2 && size != 4) || count == 0 ||
	    off > run_size || size * count > run_size - off) {
		end(v, EXIT_VMM_ERROR, "vCPU %u: malformed I/O exit (size %llu count %llu)",
		    v->id, (unsigned long long)size, (unsigned long long)count);
		return;
	}
	if (run->io.port == DEBUG_STATE_PORT) {
		if (wr)
			state_round_trip(v);
		else
			memset(data, 0, size * count);	/* reads return 0 */
		return;
	}
	for (uint64_t i = 0; i < count; i++)
		bus_dispatch(v->env->pio, run->io.port, data + i * size,
			     (unsigned int)size, wr);
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	if (run->mmio.len == 0 || run->mmio.len > sizeof(run->mmio.data))
		return;
	bus_dispatch(v->env->mmio, run->mmio.phys_addr, run->mmio.data,
		     run->mmio.len, run->mmio.is_write);
}

static bool stopping(const struct vcpu *v)
{
	return __atomic_load_n(&v->stop, __ATOMIC_ACQUIRE);
}

/* Where a vCPU was when the user, a signal or --timeout stopped the VM:
 * the first thing to know about a guest that hangs. */
void vcpu_print_stop_state(const struct vcpu *v, FILE *out)
{
	struct kvm_regs regs;
	struct kvm_mp_state mp = { 0 };

	if (v->fd < 0 || ioctl(v->fd, KVM_GET_REGS, &regs))
		return;
	ioctl(v->fd, KVM_GET_MP_STATE, &mp);
	fprintf(out, "tptvmm: vCPU %u stopped at rip=0x%llx rsp=0x%llx rflags=0x%llx%s\n",
		v->id, (unsigned long long)regs.rip, (unsigned long long)regs.rsp,
		(unsigned long long)regs.rflags,
		mp.mp_state == KVM_MP_STATE_HALTED ? " (halted)" :
		mp.mp_state == KVM_MP_STATE_INIT_RECEIVED ? " (waiting for INIT/SIPI)" : "");
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;

	/* Only SIGUSR1 (the kick) reaches vCPU threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!stopping(v)) {
		struct kvm_run *run = v->run;

		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				run->immediate_exit = 0;
				continue;
			}
			end(v, EXIT_VMM_ERROR, "vCPU %u: KVM_RUN: %s", v->id, strerror(errno));
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(v);
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(v);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_HLT:
			end(v, EXIT_GUEST_HALT, "vCPU %u halted", v->id);
			break;
		case KVM_EXIT_SHUTDOWN:
			end(v, EXIT_TRIPLE_FAULT, "vCPU %u: triple fault (KVM_EXIT_SHUTDOWN)", v->id);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			switch (run->system_event.type) {
			case KVM_SYSTEM_EVENT_SHUTDOWN:
				end(v, EXIT_POWEROFF, "system event: shutdown");
				break;
			case KVM_SYSTEM_EVENT_RESET:
				end(v, EXIT_REBOOT, "system event: reset");
				break;
			case KVM_SYSTEM_EVENT_CRASH:
				end(v, EXIT_PANIC, "system event: guest crash");
				break;
			default:
				end(v, EXIT_VMM_ERROR, "unknown system event %u",
				    run->system_event.type);
			}
			break;
		case KVM_EXIT_FAIL_ENTRY:
			end(v, EXIT_VMM_ERROR, "vCPU %u: VM entry failed, hardware reason 0x%llx",
			    v->id, (unsigned long long)
			    run->fail_entry.hardware_entry_failure_reason);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			end(v, EXIT_VMM_ERROR, "vCPU %u: KVM internal error, suberror %u",
			    v->id, run->internal.suberror);
			break;
		default:
			end(v, EXIT_VMM_ERROR, "vCPU %u: unhandled exit reason %u",
			    v->id, run->exit_reason);
		}
	}
	return NULL;
}

int vcpu_start(struct vcpu *v, struct err *e)
{
	int rc = pthread_create(&v->thread, NULL, vcpu_thread, v);

	if (rc)
		return err_errno(e, rc, "vCPU %u: cannot start thread", v->id);
	v->thread_started = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	__atomic_store_n(&v->stop, true, __ATOMIC_RELEASE);
	if (!v->run)
		return;
	/* immediate_exit covers the window before the next KVM_RUN. */
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (v->thread_started)
		pthread_kill(v->thread, SIGUSR1);
}

void vcpu_join(struct vcpu *v)
{
	if (v->thread_started) {
		pthread_join(v->thread, NULL);
		v->thread_started = false;
	}
}
