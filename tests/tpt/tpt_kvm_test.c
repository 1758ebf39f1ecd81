/* SPDX-License-Identifier: MIT */
/*
 * Checks the KVM side of TPT (docs/tpt-abi.md) against a real /dev/kvm:
 * - the capability: modes mask, enabling per VM and its error cases,
 *   several TPT VMs at once, the CPUID bit in KVM_GET_SUPPORTED_CPUID and
 *   the tpt_mode statistic;
 * - KVM_HC_TPT_INIT from a real-mode guest: every guest frame pinned, the
 *   map it writes equal to the host frames (/proc/self/pagemap, so run as
 *   root), tpt_pinned_pages, memslot changes refused afterwards, error codes
 *   for a VM without TPT, a short, misaligned or absent map, and every pin
 *   released when the VM is destroyed (/proc/vmstat nr_foll_pin_*).
 * Runs in the test bed's L1 on the patched KVM. Prints PASS/FAIL lines;
 * exit status 0 when every check passed.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
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

/* Value of the statistic @name of a VM or vCPU fd, or -1. */
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

#define GUEST_MEM	(16u << 20)
#define GUEST_FRAMES	(GUEST_MEM / 4096)
#define CODE_GPA	0x1000
#define MAP_GPA		0x100000
#define HC_TPT_INIT	0x5451

/* A VM with one memslot of GUEST_MEM at GPA 0 and one real-mode vCPU. */
struct tvm {
	int vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
};

static void tvm_create(struct tvm *t, int kvm, int tpt_mode)
{
	struct kvm_userspace_memory_region r;
	struct kvm_sregs sregs;

	t->vm = new_vm(kvm);
	if (tpt_mode && enable(t->vm, (uint64_t)tpt_mode, 0, 0)) {
		perror("enable TPT");
		exit(2);
	}
	t->mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->mem == MAP_FAILED) {
		perror("mmap guest memory");
		exit(2);
	}
	memset(&r, 0, sizeof(r));
	r.memory_size = GUEST_MEM;
	r.userspace_addr = (uint64_t)(uintptr_t)t->mem;
	if (ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &r)) {
		perror("KVM_SET_USER_MEMORY_REGION");
		exit(2);
	}
	t->vcpu = ioctl(t->vm, KVM_CREATE_VCPU, 0);
	t->run_size = (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	t->run = mmap(NULL, t->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, t->vcpu, 0);
	if (t->vcpu < 0 || t->run == MAP_FAILED) {
		perror("vCPU");
		exit(2);
	}
	if (ioctl(t->vcpu, KVM_GET_SREGS, &sregs)) {
		perror("KVM_GET_SREGS");
		exit(2);
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(t->vcpu, KVM_SET_SREGS, &sregs)) {
		perror("KVM_SET_SREGS");
		exit(2);
	}
}

static void tvm_destroy(struct tvm *t)
{
	munmap(t->run, t->run_size);
	close(t->vcpu);
	close(t->vm);
	munmap(t->mem, GUEST_MEM);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Runs "mov eax,nr; mov ebx,a0; mov ecx,a1; vmmcall; hlt"; returns EAX,
 * or -1 (as 64 bits) if the guest did not halt. */
static uint64_t tvm_hypercall3(struct tvm *t, uint32_t nr, uint32_t a0, uint32_t a1,
			       uint32_t a2)
{
	static const uint8_t tmpl[] = {
		0x66, 0xb8, 0, 0, 0, 0,		/* mov $nr, %eax */
		0x66, 0xbb, 0, 0, 0, 0,		/* mov $a0, %ebx */
		0x66, 0xb9, 0, 0, 0, 0,		/* mov $a1, %ecx */
		0x66, 0xba, 0, 0, 0, 0,		/* mov $a2, %edx */
		0x0f, 0x01, 0xd9,		/* vmmcall */
		0xf4,				/* hlt */
	};
	uint8_t *code = t->mem + CODE_GPA;
	struct kvm_regs regs;

	memcpy(code, tmpl, sizeof(tmpl));
	put32(code + 2, nr);
	put32(code + 8, a0);
	put32(code + 14, a1);
	put32(code + 20, a2);
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	if (ioctl(t->vcpu, KVM_SET_REGS, &regs) || ioctl(t->vcpu, KVM_RUN, 0) ||
	    t->run->exit_reason != KVM_EXIT_HLT || ioctl(t->vcpu, KVM_GET_REGS, &regs)) {
		fprintf(stderr, "guest did not reach hlt (exit reason %u)\n",
			t->run->exit_reason);
		return UINT64_MAX;
	}
	return (uint32_t)regs.rax;
}

static uint64_t tvm_hypercall(struct tvm *t, uint32_t nr, uint32_t a0, uint32_t a1)
{
	return tvm_hypercall3(t, nr, a0, a1, 0);
}

static long vmstat(const char *name)
{
	char key[64];
	long v, found = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

/* Pins held system-wide; folds the per-CPU counter deltas in first. */
static long pins_held(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror("stat_refresh");
		close(fd);
	}
	return vmstat("nr_foll_pin_acquired") - vmstat("nr_foll_pin_released");
}

/* Host frame behind a byte of our address space, from /proc/self/pagemap. */
static uint64_t host_pfn(const void *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	off_t off = (off_t)((uintptr_t)p / 4096 * 8);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, off) != 8)
		e = 0;
	close(fd);
	return (e >> 63) ? (e & ((1ULL << 55) - 1)) : 0;
}

static void test_init(struct result *r, int kvm)
{
	const uint32_t map_size = GUEST_FRAMES * 8;
	struct kvm_userspace_memory_region extra;
	struct tvm t;
	long base = pins_held();
	uint64_t got, sentinel;
	unsigned int bad = 0, first_bad = 0;

	tvm_create(&t, kvm, 0);
	got = tvm_hypercall(&t, HC_TPT_INIT, MAP_GPA, map_size);
	check(r, got == (uint32_t)-1, "INIT on a VM without TPT returns -KVM_EPERM", (long)got);
	tvm_destroy(&t);

	tvm_create(&t, kvm, KVM_TPT_MODE_VERIFY);
	memset(t.mem + MAP_GPA, 0xee, map_size);
	got = tvm_hypercall(&t, HC_TPT_INIT, MAP_GPA, map_size - 8);
	memcpy(&sentinel, t.mem + MAP_GPA + map_size - 8, 8);
	check(r, got == GUEST_FRAMES && sentinel == 0xeeeeeeeeeeeeeeeeULL,
	      "INIT with a short window fills only the window, returns the frame count",
	      (long)got);
	memset(t.mem + MAP_GPA + 4096, 0xee, 8 * 16);
	got = tvm_hypercall3(&t, HC_TPT_INIT, MAP_GPA + 4096, 8 * 16, GUEST_FRAMES - 16);
	check(r, got == GUEST_FRAMES &&
	      !memcmp(t.mem + MAP_GPA + 4096, t.mem + MAP_GPA + 8 * (GUEST_FRAMES - 16), 8 * 15),
	      "INIT of the last 16 entries (a2 = first index) writes the same frames", (long)got);
	memcpy(&sentinel, t.mem + MAP_GPA + 4096 + 8 * 15, 8);
	check(r, sentinel != 0xeeeeeeeeeeeeeeeeULL, "...up to the last guest frame", 0);
	got = tvm_hypercall3(&t, HC_TPT_INIT, MAP_GPA, map_size, GUEST_FRAMES);
	check(r, got == (uint32_t)-22, "INIT with a first index past the last frame returns -KVM_EINVAL",
	      (long)got);
	got = tvm_hypercall(&t, HC_TPT_INIT, MAP_GPA, 4);
	check(r, got == (uint32_t)-22, "INIT with a window smaller than one entry returns -KVM_EINVAL",
	      (long)got);
	got = tvm_hypercall(&t, HC_TPT_INIT, MAP_GPA + 4, map_size);
	check(r, got == (uint32_t)-22, "INIT with a misaligned map returns -KVM_EINVAL", (long)got);
	got = tvm_hypercall(&t, HC_TPT_INIT, GUEST_MEM + 0x100000, map_size);
	check(r, got == (uint32_t)-14, "INIT with a map outside guest RAM returns -KVM_EFAULT", (long)got);
	check(r, pins_held() - base >= GUEST_FRAMES,
	      "the failed write still leaves guest RAM pinned for the VM", pins_held() - base);

	got = tvm_hypercall(&t, HC_TPT_INIT, MAP_GPA, map_size);
	check(r, got == GUEST_FRAMES, "INIT returns the number of guest frames", (long)got);
	for (unsigned int i = 0; i < GUEST_FRAMES; i++) {
		uint64_t m;

		memcpy(&m, t.mem + MAP_GPA + 8 * i, 8);
		if (m == 0 || m != host_pfn(t.mem + 4096 * (size_t)i)) {
			if (!bad++)
				first_bad = i;
		}
	}
	check(r, bad == 0, "every map entry is the host frame of its guest frame (pagemap)",
	      bad ? (long)first_bad : 0);
	got = (uint64_t)vm_stat(t.vm, "tpt_pinned_pages");
	check(r, got == GUEST_FRAMES, "tpt_pinned_pages counts every guest frame", (long)got);
	check(r, pins_held() - base == GUEST_FRAMES, "the host holds one pin per guest frame",
	      pins_held() - base);
	got = tvm_hypercall(&t, HC_TPT_INIT, MAP_GPA, map_size);
	check(r, got == GUEST_FRAMES && pins_held() - base == GUEST_FRAMES,
	      "a second INIT rewrites the map and pins nothing new", pins_held() - base);

	memset(&extra, 0, sizeof(extra));
	extra.slot = 1;
	extra.guest_phys_addr = 1ULL << 32;
	extra.memory_size = 4096;
	extra.userspace_addr = (uint64_t)(uintptr_t)t.mem;
	got = ioctl(t.vm, KVM_SET_USER_MEMORY_REGION, &extra) ? (uint64_t)errno : 0;
	check(r, got == EBUSY, "adding a memslot after INIT is refused with EBUSY", (long)got);

	tvm_destroy(&t);
	check(r, pins_held() == base, "destroying the VM releases every pin", pins_held() - base);
}

#define HC_TPT_ENTER	0x5452
#define HC_TPT_ARM	0x5454
#define PML4_GPA	0x2000		/* the guest's own tables (identity, 2M) */
#define TPT_ROOT_GPA	0x10000		/* 1-D tables: PML4, PDPT, PD, 8 PTs */
#define PTE_P_RW	3ULL

/* The host's supported CPUID on the vCPU: long mode needs CPUID.LM. */
static void tvm_set_cpuid(struct tvm *t, int kvm)
{
	const unsigned int n = 256;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	if (!c)
		exit(2);
	c->nent = n;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) || ioctl(t->vcpu, KVM_SET_CPUID2, c)) {
		perror("CPUID");
		exit(2);
	}
	free(c);
}

/* Long mode with identity paging, set up from outside (KVM_SET_SREGS). */
static void tvm_long_mode(struct tvm *t)
{
	struct kvm_segment cs = {
		.selector = 8, .type = 11, .present = 1, .s = 1, .l = 1, .g = 1,
		.limit = 0xffffffff,
	};
	struct kvm_segment ds = {
		.selector = 16, .type = 3, .present = 1, .s = 1, .db = 1, .g = 1,
		.limit = 0xffffffff,
	};
	struct kvm_sregs sregs;
	uint64_t e;

	e = 0x3000 | PTE_P_RW;
	memcpy(t->mem + PML4_GPA, &e, 8);
	e = 0x4000 | PTE_P_RW;
	memcpy(t->mem + 0x3000, &e, 8);
	for (uint64_t i = 0; i < GUEST_MEM / (2u << 20); i++) {
		e = (i << 21) | PTE_P_RW | 0x80;
		memcpy(t->mem + 0x4000 + 8 * i, &e, 8);
	}
	if (ioctl(t->vcpu, KVM_GET_SREGS, &sregs)) {
		perror("KVM_GET_SREGS");
		exit(2);
	}
	sregs.cs = cs;
	sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = ds;
	sregs.cr0 = 0x80050033;		/* PG WP NE ET MP PE */
	sregs.cr3 = PML4_GPA;
	sregs.cr4 = 0x20;		/* PAE */
	sregs.efer = 0x500;		/* LMA LME */
	if (ioctl(t->vcpu, KVM_SET_SREGS, &sregs)) {
		perror("KVM_SET_SREGS (long mode)");
		exit(2);
	}
}

/* Runs 64-bit @code at CODE_GPA until hlt; fills @regs. 0 on success. */
static int tvm_run64(struct tvm *t, const uint8_t *code, size_t len, struct kvm_regs *regs)
{
	memcpy(t->mem + CODE_GPA, code, len);
	memset(regs, 0, sizeof(*regs));
	regs->rip = CODE_GPA;
	regs->rflags = 2;
	if (ioctl(t->vcpu, KVM_SET_REGS, regs) || ioctl(t->vcpu, KVM_RUN, 0) ||
	    t->run->exit_reason != KVM_EXIT_HLT || ioctl(t->vcpu, KVM_GET_REGS, regs)) {
		fprintf(stderr, "64-bit guest did not reach hlt (exit reason %u)\n",
			t->run->exit_reason);
		return -1;
	}
	return 0;
}

/* ENTER with root @root_gpa then hlt; returns RAX (64 bits). */
static uint64_t tvm_enter_only(struct tvm *t, uint32_t root_gpa)
{
	uint8_t code[] = {
		0xb8, 0x52, 0x54, 0, 0,		/* mov $HC_TPT_ENTER, %eax */
		0xbb, 0, 0, 0, 0,		/* mov $root, %ebx */
		0x0f, 0x01, 0xd9,		/* vmmcall */
		0x49, 0x89, 0xc0,		/* mov %rax, %r8 */
		0xb8, 0x53, 0x54, 0, 0,		/* mov $HC_TPT_EXIT, %eax */
		0x0f, 0x01, 0xd9,		/* vmmcall */
		0x4c, 0x89, 0xc0,		/* mov %r8, %rax */
		0xf4,				/* hlt */
	};
	struct kvm_regs regs;

	put32(code + 6, root_gpa);
	return tvm_run64(t, code, sizeof(code), &regs) ? UINT64_MAX - 1 : regs.rax;
}

/* Hypercall @nr(a0, a1) from 64-bit mode; returns RAX (64 bits). */
static uint64_t tvm_hypercall64(struct tvm *t, uint32_t nr, uint32_t a0, uint32_t a1)
{
	uint8_t code[] = {
		0xb8, 0, 0, 0, 0,		/* mov $nr, %eax */
		0xbb, 0, 0, 0, 0,		/* mov $a0, %ebx */
		0xb9, 0, 0, 0, 0,		/* mov $a1, %ecx */
		0x0f, 0x01, 0xd9,		/* vmmcall */
		0xf4,				/* hlt */
	};
	struct kvm_regs regs;

	put32(code + 1, nr);
	put32(code + 6, a0);
	put32(code + 11, a1);
	return tvm_run64(t, code, sizeof(code), &regs) ? UINT64_MAX - 1 : regs.rax;
}

static uint64_t map_entry(struct tvm *t, uint64_t gfn)
{
	uint64_t m;

	memcpy(&m, t->mem + MAP_GPA + 8 * gfn, 8);
	return m;
}

/*
 * The 1-D tables at TPT_ROOT_GPA: VA == GPA for all of guest RAM, with host
 * frames from the map, except VA 0x400000 -> frame of GPA 0x600000 and VA
 * 0x500000 -> frame of GPA 0x700000, so accesses through them can be told
 * from accesses through the guest's own tables.
 */
static void build_tpt_tables(struct tvm *t)
{
	const uint64_t pdpt = TPT_ROOT_GPA + 0x1000, pd = TPT_ROOT_GPA + 0x2000;
	const uint64_t pt = TPT_ROOT_GPA + 0x3000;
	uint64_t e;

	memset(t->mem + TPT_ROOT_GPA, 0, 11 * 4096);
	e = map_entry(t, pdpt >> 12) << 12 | PTE_P_RW;
	memcpy(t->mem + TPT_ROOT_GPA, &e, 8);
	e = map_entry(t, pd >> 12) << 12 | PTE_P_RW;
	memcpy(t->mem + pdpt, &e, 8);
	for (uint64_t i = 0; i < GUEST_FRAMES / 512; i++) {
		e = map_entry(t, (pt >> 12) + i) << 12 | PTE_P_RW;
		memcpy(t->mem + pd + 8 * i, &e, 8);
	}
	for (uint64_t gfn = 0; gfn < GUEST_FRAMES; gfn++) {
		uint64_t src = gfn;

		if (gfn == 0x400)
			src = 0x600;
		else if (gfn == 0x500)
			src = 0x700;
		e = map_entry(t, src) << 12 | PTE_P_RW;
		memcpy(t->mem + pt + 8 * gfn, &e, 8);
	}
}

static void test_enter(struct result *r, int kvm)
{
	static const uint8_t code[] = {
		0xb8, 0x52, 0x54, 0, 0,			/* mov $HC_TPT_ENTER, %eax */
		0xbb, 0x00, 0x00, 0x01, 0x00,		/* mov $TPT_ROOT_GPA, %ebx */
		0x0f, 0x01, 0xd9,			/* vmmcall */
		0x49, 0x89, 0xc0,			/* mov %rax, %r8 */
		0x4c, 0x8b, 0x0c, 0x25, 0, 0, 0x40, 0,	/* mov 0x400000, %r9 */
		0x48, 0xc7, 0x04, 0x25, 0, 0, 0x50, 0,	/* movq $0x1234, 0x500000 */
		0x34, 0x12, 0, 0,
		0x41, 0x0f, 0x20, 0xda,			/* mov %cr3, %r10 (leaves TPT) */
		0x4c, 0x8b, 0x24, 0x25, 0, 0, 0x40, 0,	/* mov 0x400000, %r12 */
		0xb8, 0x53, 0x54, 0, 0,			/* mov $HC_TPT_EXIT, %eax */
		0x0f, 0x01, 0xd9,			/* vmmcall */
		0x49, 0x89, 0xc3,			/* mov %rax, %r11 */
		0xf4,					/* hlt */
	};
	const uint64_t a = 0xaaaa, b = 0xbbbb, zero = 0;
	static uint8_t foreign[4096] __attribute__((aligned(4096)));
	struct kvm_regs regs;
	struct tvm t;
	uint64_t got, v;
	long fails;

	memset(foreign, 1, sizeof(foreign));	/* a host frame that is not the VM's */
	tvm_create(&t, kvm, KVM_TPT_MODE_VERIFY);
	tvm_set_cpuid(&t, kvm);
	tvm_long_mode(&t);
	got = tvm_enter_only(&t, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-1, "ENTER before INIT is refused (-KVM_EPERM)", (long)got);
	{
		static const uint8_t init[] = {
			0xb8, 0x51, 0x54, 0, 0,		/* mov $HC_TPT_INIT, %eax */
			0xbb, 0, 0, 0x10, 0,		/* mov $MAP_GPA, %ebx */
			0xb9, 0, 0x80, 0, 0,		/* mov $GUEST_FRAMES * 8, %ecx */
			0x0f, 0x01, 0xd9,		/* vmmcall */
			0xf4,				/* hlt */
		};

		got = tvm_run64(&t, init, sizeof(init), &regs) ? UINT64_MAX : regs.rax;
	}
	check(r, got == GUEST_FRAMES, "INIT from a long-mode guest", (long)got);
	build_tpt_tables(&t);
	memcpy(t.mem + 0x400000, &b, 8);
	memcpy(t.mem + 0x600000, &a, 8);
	memcpy(t.mem + 0x500000, &zero, 8);
	memcpy(t.mem + 0x700000, &zero, 8);

	if (tvm_run64(&t, code, sizeof(code), &regs) == 0) {
		check(r, regs.r8 == 0, "ENTER with a valid 1-D root returns 0", (long)regs.r8);
		check(r, regs.r9 == a, "a load in TPT mode goes through the 1-D table", (long)regs.r9);
		memcpy(&v, t.mem + 0x700000, 8);
		check(r, v == 0x1234, "a store in TPT mode lands in the host frame the 1-D table names", (long)v);
		memcpy(&v, t.mem + 0x500000, 8);
		check(r, v == 0, "...and not where the guest's own tables point", (long)v);
		check(r, regs.r10 == PML4_GPA, "reading CR3 in TPT mode returns the guest's own CR3", (long)regs.r10);
		check(r, regs.r12 == b, "after the CR3 access, loads use nested paging again", (long)regs.r12);
		check(r, regs.r11 == 0, "EXIT returns 0", (long)regs.r11);
	} else {
		check(r, false, "the TPT guest ran to hlt", -1);
	}
	got = (uint64_t)vm_stat(t.vcpu, "tpt_enters");
	check(r, got == 1, "vCPU statistic tpt_enters is 1", (long)got);
	got = (uint64_t)vm_stat(t.vcpu, "tpt_exits");
	check(r, got == 1, "vCPU statistic tpt_exits is 1 (the CR3 read ended TPT)", (long)got);

	got = tvm_enter_only(&t, TPT_ROOT_GPA + 8);
	check(r, got == (uint64_t)-22, "a misaligned root is refused (-KVM_EINVAL)", (long)got);
	fails = vm_stat(t.vm, "tpt_ownership_failures");
	got = tvm_enter_only(&t, GUEST_MEM + 0x10000);
	check(r, got == (uint64_t)-1, "a root outside guest RAM is refused (-KVM_EPERM)", (long)got);
	/* A leaf naming a host frame far beyond any RAM. */
	v = (0xfffffffULL << 12) | PTE_P_RW;
	memcpy(t.mem + TPT_ROOT_GPA + 0x3000 + 8 * 0x123, &v, 8);
	got = tvm_enter_only(&t, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-1, "verify mode refuses a leaf the VM does not own (-KVM_EPERM)", (long)got);
	/* A table pointer to a frame of the host that is not the VM's. */
	build_tpt_tables(&t);
	v = (host_pfn(foreign) << 12) | PTE_P_RW;
	memcpy(t.mem + TPT_ROOT_GPA + 0x2000 + 8 * 3, &v, 8);
	got = tvm_enter_only(&t, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-1, "verify mode refuses a table in a host frame the VM does not own", (long)got);
	got = (uint64_t)(vm_stat(t.vm, "tpt_ownership_failures") - fails);
	check(r, got == 3, "tpt_ownership_failures counted the three refusals", (long)got);
	build_tpt_tables(&t);
	got = tvm_enter_only(&t, TPT_ROOT_GPA);
	check(r, got == 0, "the repaired table is accepted again", (long)got);
	tvm_destroy(&t);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* A long-mode VM in @mode after INIT, with the 1-D tables built. */
static void tvm_ready(struct tvm *t, int kvm, int mode)
{
	static const uint8_t init[] = {
		0xb8, 0x51, 0x54, 0, 0, 0xbb, 0, 0, 0x10, 0, 0xb9, 0, 0x80, 0, 0,
		0x0f, 0x01, 0xd9, 0xf4,
	};
	struct kvm_regs regs;

	tvm_create(t, kvm, mode);
	tvm_set_cpuid(t, kvm);
	tvm_long_mode(t);
	if (tvm_run64(t, init, sizeof(init), &regs) || regs.rax != GUEST_FRAMES) {
		fprintf(stderr, "INIT failed\n");
		exit(2);
	}
	build_tpt_tables(t);
}

/*
 * KVM_HC_TPT_ARM: a CR3 load with the armed address bits enters TPT, a CR3
 * read leaves it, other CR3 loads do not enter it, and disarming stops it.
 * The guest's own tables are at PML4_GPA and, as a copy, at ARM_CR3.
 */
#define ARM_CR3 0x5000
static void test_arm(struct result *r, int kvm)
{
	static const uint8_t code[] = {
		0xb8, 0x54, 0x54, 0, 0,			/* mov $HC_TPT_ARM, %eax */
		0xbb, 0, 0x50, 0, 0,			/* mov $ARM_CR3, %ebx */
		0xb9, 0, 0, 0x01, 0,			/* mov $TPT_ROOT_GPA, %ecx */
		0x0f, 0x01, 0xd9,			/* vmmcall */
		0x49, 0x89, 0xc0,			/* mov %rax, %r8 */
		0xb8, 0, 0x50, 0, 0,			/* mov $ARM_CR3, %eax */
		0x0f, 0x22, 0xd8,			/* mov %rax, %cr3: enters TPT */
		0x4c, 0x8b, 0x0c, 0x25, 0, 0, 0x40, 0,	/* mov 0x400000, %r9 */
		0x41, 0x0f, 0x20, 0xda,			/* mov %cr3, %r10: leaves */
		0x4c, 0x8b, 0x24, 0x25, 0, 0, 0x40, 0,	/* mov 0x400000, %r12 */
		0xb8, 0, 0x20, 0, 0,			/* mov $PML4_GPA, %eax */
		0x0f, 0x22, 0xd8,			/* mov %rax, %cr3: no TPT */
		0x4c, 0x8b, 0x2c, 0x25, 0, 0, 0x40, 0,	/* mov 0x400000, %r13 */
		0xb8, 0, 0x50, 0, 0,			/* mov $ARM_CR3, %eax */
		0x0f, 0x22, 0xd8,			/* mov %rax, %cr3: TPT again */
		0x4c, 0x8b, 0x34, 0x25, 0, 0, 0x40, 0,	/* mov 0x400000, %r14 */
		0xb8, 0x54, 0x54, 0, 0,			/* mov $HC_TPT_ARM, %eax */
		0x31, 0xdb,				/* xor %ebx, %ebx */
		0x31, 0xc9,				/* xor %ecx, %ecx: disarm */
		0x0f, 0x01, 0xd9,			/* vmmcall */
		0x49, 0x89, 0xc7,			/* mov %rax, %r15 */
		0x0f, 0x20, 0xd8,			/* mov %cr3, %rax: leaves */
		0x0f, 0x22, 0xd8,			/* mov %rax, %cr3: disarmed */
		0x48, 0x8b, 0x2c, 0x25, 0, 0, 0x40, 0,	/* mov 0x400000, %rbp */
		0xf4,					/* hlt */
	};
	const uint64_t a = 0xaaaa, b = 0xbbbb;
	struct kvm_regs regs;
	struct tvm t;
	uint64_t got;

	tvm_ready(&t, kvm, KVM_TPT_MODE_VERIFY);
	memcpy(t.mem + ARM_CR3, t.mem + PML4_GPA, 4096);
	memcpy(t.mem + 0x400000, &b, 8);
	memcpy(t.mem + 0x600000, &a, 8);
	got = tvm_hypercall64(&t, HC_TPT_ARM, ARM_CR3 + 8, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-22, "ARM with a CR3 that has low bits set is refused (-KVM_EINVAL)",
	      (long)got);
	got = tvm_hypercall64(&t, HC_TPT_ARM, ARM_CR3, GUEST_MEM + 0x10000);
	check(r, got == (uint64_t)-1, "ARM with a root outside guest RAM is refused (-KVM_EPERM)",
	      (long)got);
	if (tvm_run64(&t, code, sizeof(code), &regs) == 0) {
		check(r, regs.r8 == 0, "ARM with a valid root returns 0", (long)regs.r8);
		check(r, regs.r9 == a, "the armed CR3 load entered TPT (load via the 1-D table)",
		      (long)regs.r9);
		check(r, regs.r10 == ARM_CR3, "a CR3 read in armed TPT returns the loaded CR3",
		      (long)regs.r10);
		check(r, regs.r12 == b, "after the CR3 read, loads use nested paging", (long)regs.r12);
		check(r, regs.r13 == b, "loading another CR3 does not enter TPT", (long)regs.r13);
		check(r, regs.r14 == a, "loading the armed CR3 again enters TPT again", (long)regs.r14);
		check(r, regs.r15 == 0, "disarming returns 0", (long)regs.r15);
		check(r, regs.rbp == b, "once disarmed, the same CR3 load stays on nested paging",
		      (long)regs.rbp);
	} else {
		check(r, false, "the armed guest ran to hlt", -1);
	}
	got = (uint64_t)vm_stat(t.vcpu, "tpt_arms");
	check(r, got == 1, "vCPU statistic tpt_arms is 1", (long)got);
	got = (uint64_t)vm_stat(t.vcpu, "tpt_enters");
	check(r, got == 2, "tpt_enters counts the two armed CR3 loads", (long)got);
	tvm_destroy(&t);
}

/*
 * Trust mode checks the root only: it accepts a table that verify mode
 * refuses (the guest below never touches the bad mapping). And the price
 * of verify mode: enter+exit round trips on the same 16 MiB table in both
 * modes (under emulation: report the ratio, not the times).
 */
static void test_modes(struct result *r, int kvm)
{
	const uint64_t bad = (0xfffffffULL << 12) | PTE_P_RW;
	const int rounds = 50;
	struct tvm v, t;
	double us[2];
	uint64_t got;

	tvm_ready(&v, kvm, KVM_TPT_MODE_VERIFY);
	tvm_ready(&t, kvm, KVM_TPT_MODE_TRUST);
	for (int m = 0; m < 2; m++) {
		struct tvm *x = m ? &t : &v;
		double t0 = now_us();
		bool ok = true;

		for (int i = 0; i < rounds; i++)
			ok = ok && tvm_enter_only(x, TPT_ROOT_GPA) == 0;
		us[m] = (now_us() - t0) / rounds;
		check(r, ok, m ? "trust mode: 50 enter/exit round trips" :
				 "verify mode: 50 enter/exit round trips", 0);
	}
	printf("TPT-COST enter+exit round trip, 16 MiB guest, 4K leaves: verify %.0f us, trust %.0f us, verify/trust %.2f (emulated)\n",
	       us[0], us[1], us[0] / us[1]);
	memcpy(v.mem + TPT_ROOT_GPA + 0x3000 + 8 * 0x123, &bad, 8);
	memcpy(t.mem + TPT_ROOT_GPA + 0x3000 + 8 * 0x123, &bad, 8);
	got = tvm_enter_only(&v, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-1, "verify mode refuses a foreign leaf", (long)got);
	got = tvm_enter_only(&t, TPT_ROOT_GPA);
	check(r, got == 0, "trust mode accepts it (root checked only, as hardware tagging would)", (long)got);
	got = tvm_enter_only(&t, GUEST_MEM + 0x10000);
	check(r, got == (uint64_t)-1, "trust mode still refuses a root outside guest RAM", (long)got);
	/* Every entry of the root pointing back at the root: 512^3 tables. */
	for (int i = 0; i < 512; i++) {
		uint64_t e = map_entry(&v, TPT_ROOT_GPA >> 12) << 12 | PTE_P_RW;

		memcpy(v.mem + TPT_ROOT_GPA + 8 * i, &e, 8);
	}
	{
		double t0 = now_us();

		got = tvm_enter_only(&v, TPT_ROOT_GPA);
		check(r, got == (uint64_t)-7, "a self-referencing table stops the walk at its budget (-KVM_E2BIG)",
		      (long)got);
		printf("TPT-COST refused self-referencing root after %.0f us (emulated)\n", now_us() - t0);
	}
	tvm_destroy(&t);
	tvm_destroy(&v);
}


/*
 * Isolation attacks on verify mode while a second TPT VM (B) runs beside
 * the attacker (A): leaves and tables naming B's host frames (read from
 * B's map), a forged map entry, 2M and 1G leaves over frames A does not
 * own or misaligned, and two vCPUs of A entering in a loop while a host
 * thread keeps rewriting one of A's leaves between A's and B's frames.
 * Every refusal must be counted; B's memory must be byte for byte what it
 * was; A must still enter with its repaired tables.
 */
#define RACE_ROUNDS	300
#define ATTACK_GFN	0x123	/* the leaf the attacks rewrite */

struct race {
	struct tvm *t;
	int vcpu;
	struct kvm_run *run;
	struct kvm_regs regs;
	int ok;
};

struct flipper {
	uint64_t *entry;
	uint64_t good, bad;
	volatile int stop;
	unsigned long flips;
};

static void *race_vcpu(void *arg)
{
	struct race *c = arg;

	memset(&c->regs, 0, sizeof(c->regs));
	c->regs.rip = CODE_GPA;
	c->regs.rflags = 2;
	c->ok = !ioctl(c->vcpu, KVM_SET_REGS, &c->regs) && !ioctl(c->vcpu, KVM_RUN, 0) &&
		c->run->exit_reason == KVM_EXIT_HLT && !ioctl(c->vcpu, KVM_GET_REGS, &c->regs);
	return NULL;
}

static void *flip(void *arg)
{
	struct flipper *f = arg;
	struct timespec ts = { 0, 200000 };	/* 0.2 ms each way */

	while (!f->stop) {
		__atomic_store_n(f->entry, f->bad, __ATOMIC_SEQ_CST);
		nanosleep(&ts, NULL);
		__atomic_store_n(f->entry, f->good, __ATOMIC_SEQ_CST);
		nanosleep(&ts, NULL);
		f->flips++;
	}
	return NULL;
}

static long refusals(struct tvm *t)
{
	return vm_stat(t->vm, "tpt_ownership_failures");
}

static void test_attacks(struct result *r, int kvm)
{
	static const uint8_t loop[] = {
		0x41, 0xbc, RACE_ROUNDS & 0xff, RACE_ROUNDS >> 8, 0, 0,	/* mov $N, %r12d */
		0xb8, 0x52, 0x54, 0, 0,		/* 1: mov $HC_TPT_ENTER, %eax */
		0xbb, 0x00, 0x00, 0x01, 0x00,	/* mov $TPT_ROOT_GPA, %ebx */
		0x0f, 0x01, 0xd9,		/* vmmcall */
		0x48, 0x85, 0xc0,		/* test %rax, %rax */
		0x75, 0x05,			/* jnz 2f */
		0x49, 0xff, 0xc1,		/* inc %r9: entered */
		0xeb, 0x03,			/* jmp 3f */
		0x49, 0xff, 0xc2,		/* 2: inc %r10: refused */
		0xb8, 0x53, 0x54, 0, 0,		/* 3: mov $HC_TPT_EXIT, %eax */
		0x0f, 0x01, 0xd9,		/* vmmcall */
		0x49, 0xff, 0xcc,		/* dec %r12 */
		0x75, 0xd9,			/* jnz 1b */
		0xf4,				/* hlt */
	};
	const uint64_t pt = TPT_ROOT_GPA + 0x3000, pd = TPT_ROOT_GPA + 0x2000;
	const uint64_t pdpt = TPT_ROOT_GPA + 0x1000;
	struct tvm a, b;
	uint8_t *snap;
	uint64_t got, v, bframe, good;
	long f0, h0, refused = 0, entered = 0;

	tvm_ready(&a, kvm, KVM_TPT_MODE_VERIFY);
	tvm_ready(&b, kvm, KVM_TPT_MODE_VERIFY);
	memset(b.mem + 0x800000, 0x5b, 0x100000);	/* B's data */
	snap = malloc(GUEST_MEM);
	if (!snap)
		exit(2);
	memcpy(snap, b.mem, GUEST_MEM);
	bframe = map_entry(&b, 0x800);
	check(r, bframe != 0 && bframe != map_entry(&a, 0x800), "B's map names B's own host frames",
	      (long)bframe);
	f0 = refusals(&a);
	h0 = vm_stat(a.vm, "tpt_huge_refused");
	good = map_entry(&a, ATTACK_GFN) << 12 | PTE_P_RW;

	/* A leaf naming one of B's frames. */
	v = bframe << 12 | PTE_P_RW;
	memcpy(a.mem + pt + 8 * ATTACK_GFN, &v, 8);
	got = tvm_enter_only(&a, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-1, "a leaf naming another VM's frame is refused (-KVM_EPERM)", (long)got);
	/* A page table that is one of B's frames. */
	build_tpt_tables(&a);
	memcpy(a.mem + pd + 8 * 4, &v, 8);
	got = tvm_enter_only(&a, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-1, "a table in another VM's frame is refused", (long)got);
	/* A forged map: A rewrites its own map so gfn 0x600 "is" B's frame
	 * and builds its tables from it, as a guest kernel would. */
	memcpy(a.mem + MAP_GPA + 8 * 0x600, &bframe, 8);
	build_tpt_tables(&a);		/* VA 0x400000 -> "frame of 0x600" */
	got = tvm_enter_only(&a, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-1, "tables built from a forged map entry are refused", (long)got);
	{
		/* Put the real entry back: INIT wrote it, the guest overwrote it. */
		tvm_destroy(&a);
		tvm_ready(&a, kvm, KVM_TPT_MODE_VERIFY);
		f0 = refusals(&a);
		h0 = vm_stat(a.vm, "tpt_huge_refused");
	}
	/* A 2M leaf over B's frames (2M-aligned frame number around B's). */
	v = (bframe & ~511ULL) << 12 | 0x80 | PTE_P_RW;
	memcpy(a.mem + pd + 8 * 5, &v, 8);
	got = tvm_enter_only(&a, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-1, "a 2M leaf over frames A does not own is refused", (long)got);
	/* A misaligned 2M leaf: frame bit 1 set (bit 12 of a huge entry is PAT). */
	build_tpt_tables(&a);
	v = ((map_entry(&a, 0) & ~511ULL) | 2) << 12 | 0x80 | PTE_P_RW;
	memcpy(a.mem + pd + 8 * 5, &v, 8);
	got = tvm_enter_only(&a, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-22, "a misaligned 2M leaf is refused (-KVM_EINVAL)", (long)got);
	/* A 2M leaf over A's own first 2 MiB: accepted exactly when the host
	 * backs them with 512 contiguous, aligned frames (THP, say). */
	{
		bool contiguous = !(map_entry(&a, 0) & 511);
		long h1 = vm_stat(a.vm, "tpt_huge_refused");

		for (uint64_t i = 1; i < 512 && contiguous; i++)
			contiguous = map_entry(&a, i) == map_entry(&a, 0) + i;
		build_tpt_tables(&a);
		v = map_entry(&a, 0) << 12 | 0x80 | PTE_P_RW;
		memcpy(a.mem + pd + 8 * 5, &v, 8);
		got = tvm_enter_only(&a, TPT_ROOT_GPA);
		printf("INFO A's first 2 MiB are %scontiguous in host memory\n", contiguous ? "" : "not ");
		check(r, contiguous ? got == 0 : got != 0,
		      contiguous ? "a 2M leaf over A's own contiguous, aligned frames is accepted" :
				   "a 2M leaf over A's own scattered frames is refused", (long)got);
		h0 += vm_stat(a.vm, "tpt_huge_refused") - h1;	/* count only the three below */
	}
	/* A 1G leaf over the host's first gigabyte. */
	build_tpt_tables(&a);
	v = 0x80 | PTE_P_RW;
	memcpy(a.mem + pdpt + 8 * 1, &v, 8);
	got = tvm_enter_only(&a, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-1, "a 1G leaf over host memory is refused", (long)got);
	got = (uint64_t)(vm_stat(a.vm, "tpt_huge_refused") - h0);
	check(r, got == 3, "tpt_huge_refused counted the three huge-leaf refusals", (long)got);
	got = (uint64_t)(refusals(&a) - f0);
	check(r, got == 2, "tpt_ownership_failures counted the two unowned huge leaves", (long)got);

	/* Two vCPUs enter and exit in a loop while a host thread rewrites the
	 * attacked leaf between A's frame and B's. */
	build_tpt_tables(&a);
	memcpy(a.mem + CODE_GPA, loop, sizeof(loop));
	{
		struct race c[2] = { { .t = &a, .vcpu = a.vcpu, .run = a.run } };
		struct flipper fl = {
			.entry = (uint64_t *)(a.mem + pt + 8 * ATTACK_GFN),
			.good = good, .bad = bframe << 12 | PTE_P_RW,
		};
		struct kvm_sregs sregs;
		pthread_t th[3];
		size_t run_size = (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

		c[1].t = &a;
		c[1].vcpu = ioctl(a.vm, KVM_CREATE_VCPU, 1);
		c[1].run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c[1].vcpu, 0);
		if (c[1].vcpu < 0 || c[1].run == MAP_FAILED || ioctl(a.vcpu, KVM_GET_SREGS, &sregs)) {
			perror("second vCPU");
			exit(2);
		}
		{
			struct tvm t1 = a;

			t1.vcpu = c[1].vcpu;
			tvm_set_cpuid(&t1, kvm);
		}
		if (ioctl(c[1].vcpu, KVM_SET_SREGS, &sregs)) {
			perror("KVM_SET_SREGS (second vCPU)");
			exit(2);
		}
		f0 = refusals(&a);
		pthread_create(&th[2], NULL, flip, &fl);
		pthread_create(&th[0], NULL, race_vcpu, &c[0]);
		pthread_create(&th[1], NULL, race_vcpu, &c[1]);
		pthread_join(th[0], NULL);
		pthread_join(th[1], NULL);
		fl.stop = 1;
		pthread_join(th[2], NULL);
		check(r, c[0].ok && c[1].ok, "both racing vCPUs ran their loops to hlt", c[0].ok + c[1].ok);
		for (int i = 0; i < 2; i++) {
			entered += (long)c[i].regs.r9;
			refused += (long)c[i].regs.r10;
		}
		printf("INFO race: %ld enters accepted, %ld refused, %lu rewrites of the leaf (emulated timing)\n",
		       entered, refused, fl.flips);
		check(r, entered + refused == 2 * RACE_ROUNDS, "every racing ENTER was answered",
		      entered + refused);
		got = (uint64_t)(refusals(&a) - f0);
		check(r, (long)got == refused, "tpt_ownership_failures counted every refused racing ENTER",
		      (long)got);
		munmap(c[1].run, run_size);
		close(c[1].vcpu);
	}
	/* After the race: the bad leaf is refused, the good one accepted. */
	memcpy(a.mem + pt + 8 * ATTACK_GFN, &(uint64_t){ bframe << 12 | PTE_P_RW }, 8);
	got = tvm_enter_only(&a, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-1, "after the race the foreign leaf is still refused", (long)got);
	memcpy(a.mem + pt + 8 * ATTACK_GFN, &good, 8);
	got = tvm_enter_only(&a, TPT_ROOT_GPA);
	check(r, got == 0, "and A enters with its repaired tables", (long)got);
	check(r, memcmp(b.mem, snap, GUEST_MEM) == 0,
	      "B's 16 MiB are byte for byte what they were before the attacks", 0);
	got = tvm_enter_only(&b, TPT_ROOT_GPA);
	check(r, got == 0, "B still enters TPT with its own tables", (long)got);
	free(snap);
	tvm_destroy(&a);
	tvm_destroy(&b);
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
		fprintf(stderr, "tpt_kvm_test: %s: %s\n", path, strerror(errno));
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
	test_init(&r, kvm);
	test_enter(&r, kvm);
	test_arm(&r, kvm);
	test_modes(&r, kvm);
	test_attacks(&r, kvm);
	close(kvm);
	printf("tpt_kvm_test: %d passed, %d failed\n", r.pass, r.fail);
	return r.fail ? 1 : 0;
}
