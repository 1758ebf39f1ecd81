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
 * - ways out of the 1-D mode: hostile guests that leave long mode or paging,
 *   switch to legacy paging, write CR0/CR4/EFER, set EFER.SVME or take an
 *   SMI while armed or in TPT, and KVM_SET_SREGS or dirty logging from the
 *   VMM; a VMM page outside guest RAM must stay untouched.
 * - the arm across CR0 writes that keep PG/PE (also with kvm_intel's
 *   unrestricted_guest=0, --restricted), the guest's PAT in TPT (on SVM
 *   TPT only with the host's PAT), and instructions KVM emulates in TPT
 *   (string I/O, #UD) leaving it first.
 * Every tiny guest gets the host's PAT (read from /dev/cpu/N/msr, the msr
 * module, or else from the kernel log's "x86/PAT: Configuration" line):
 * kvm-amd refuses TPT with any other.
 * Runs in the test bed's L1 on the patched KVM. Prints PASS/FAIL lines;
 * exit status 0 when every check passed.
 *
 *   tpt_kvm_test [DEVICE]             every check (DEVICE: /dev/kvm)
 *   tpt_kvm_test --walk-cost MIB...   time one verify-mode ENTER on the
 *                                     worst roots of a MIB MiB guest
 *   tpt_kvm_test --restricted         the arm checks only, for kvm_intel
 *                                     loaded with unrestricted_guest=0
 *   tpt_kvm_test --virtio-attack TPTVMM GUEST DIR
 *                                     tptvmm runs the hostile virtio guest
 *                                     (tests/guests/tpt_virtio_attack.S) in
 *                                     both modes; files go to DIR
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
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

/* KVM_GET_MSRS/KVM_SET_MSRS of one MSR; 0 on success. */
static int vcpu_msr(int vcpu, bool set, uint32_t index, uint64_t *data)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	m.e.data = *data;
	if (ioctl(vcpu, set ? KVM_SET_MSRS : KVM_GET_MSRS, &m) != 1)
		return -1;
	*data = m.e.data;
	return 0;
}

/*
 * The host's PAT (MSR 0x277), which every tiny guest gets: with nested
 * paging off, kvm-amd applies the host's PAT to the guest's PAT index
 * bits, so it enters TPT only while the guest's PAT equals it (host patch
 * 0024). Read on every CPU from /dev/cpu/N/msr (the msr module); without
 * it, from the kernel log's "x86/PAT: Configuration [0-7]: ..." line (the
 * value Linux programs on every CPU).
 */
#define MSR_PAT		0x277
#define PAT_POWER_ON	0x0007040600070406ULL
static uint64_t host_pat = PAT_POWER_ON;
static const char *host_pat_source = "none (power-on value assumed)";
static int host_pat_cpus, host_pat_mismatch;

static int pat_from_log(uint64_t *pat)
{
	static const struct { const char *name; uint64_t type; } types[] = {
		{ "UC-", 7 }, { "UC", 0 }, { "WC", 1 }, { "WT", 4 }, { "WP", 5 }, { "WB", 6 },
	};
	int len = klogctl(10, NULL, 0);		/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf, *line, *p;
	uint64_t v = 0;
	int n = 0;

	if (len <= 0 || !(buf = calloc(1, (size_t)len + 1)))
		return -1;
	len = klogctl(3, buf, len);		/* SYSLOG_ACTION_READ_ALL */
	line = len > 0 ? strstr(buf, "x86/PAT: Configuration [0-7]:") : NULL;
	if (line) {
		p = line + strlen("x86/PAT: Configuration [0-7]:");
		while (n < 8 && *p && *p != '\n') {
			size_t i;

			while (*p == ' ')
				p++;
			for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
				if (!strncmp(p, types[i].name, strlen(types[i].name)))
					break;
			if (i == sizeof(types) / sizeof(types[0]))
				break;
			v |= types[i].type << (8 * n++);
			p += strlen(types[i].name);
		}
	}
	free(buf);
	if (n != 8)
		return -1;
	*pat = v;
	return 0;
}

static void read_host_pat(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);

	for (long cpu = 0; cpu < cpus; cpu++) {
		char path[64];
		uint64_t v;
		int fd;

		snprintf(path, sizeof(path), "/dev/cpu/%ld/msr", cpu);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (pread(fd, &v, 8, MSR_PAT) == 8) {
			if (host_pat_cpus++ == 0)
				host_pat = v;
			else if (v != host_pat)
				host_pat_mismatch++;
		}
		close(fd);
	}
	if (host_pat_cpus)
		host_pat_source = "/dev/cpu/N/msr";
	else if (pat_from_log(&host_pat) == 0)
		host_pat_source = "the kernel log";
	printf("tpt_kvm_test: host PAT 0x%016llx from %s (%d CPUs read)\n",
	       (unsigned long long)host_pat, host_pat_source, host_pat_cpus);
}

/* The guest's PAT as the host's, before it runs. */
static void vcpu_set_host_pat(int vcpu)
{
	uint64_t pat = host_pat;

	if (vcpu_msr(vcpu, true, MSR_PAT, &pat)) {
		perror("KVM_SET_MSRS (PAT)");
		exit(2);
	}
}

#define GUEST_MEM	(16u << 20)
#define GUEST_FRAMES	(GUEST_MEM / 4096)
#define CODE_GPA	0x1000
#define MAP_GPA		0x100000
#define HC_TPT_INIT	0x5451

/* A VM with one memslot of GUEST_MEM at GPA 0 and one real-mode vCPU. */
struct tvm {
	int vm, vcpu;
	int mode;	/* KVM_TPT_MODE_*, 0 for none */
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	size_t size;
};

#define HUGE_2M		(2ul << 20)

/*
 * Guest RAM at a 2M-aligned address, asking for transparent huge pages,
 * so that KVM may map it with 2M pages (it is touched here, so that the
 * host's pages are there before TPT pins them).
 */
static uint8_t *huge_mem(size_t size)
{
	uint8_t *p = mmap(NULL, size + HUGE_2M, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return p;
	a = ((uintptr_t)p + HUGE_2M - 1) & ~(HUGE_2M - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	munmap((uint8_t *)a + size, (uintptr_t)p + HUGE_2M - a);
	madvise((void *)a, size, MADV_HUGEPAGE);
	memset((void *)a, 0, size);
	return (uint8_t *)a;
}

static void tvm_create_mem(struct tvm *t, int kvm, int tpt_mode, size_t size, bool huge)
{
	struct kvm_userspace_memory_region r;
	struct kvm_sregs sregs;

	t->vm = new_vm(kvm);
	t->mode = tpt_mode;
	if (tpt_mode && enable(t->vm, (uint64_t)tpt_mode, 0, 0)) {
		perror("enable TPT");
		exit(2);
	}
	t->size = size;
	t->mem = huge ? huge_mem(size) :
		 mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->mem == MAP_FAILED) {
		perror("mmap guest memory");
		exit(2);
	}
	memset(&r, 0, sizeof(r));
	r.memory_size = size;
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
	vcpu_set_host_pat(t->vcpu);
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

static void tvm_create_sized(struct tvm *t, int kvm, int tpt_mode, size_t size)
{
	tvm_create_mem(t, kvm, tpt_mode, size, false);
}

static void tvm_create(struct tvm *t, int kvm, int tpt_mode)
{
	tvm_create_sized(t, kvm, tpt_mode, GUEST_MEM);
}

static void tvm_destroy(struct tvm *t)
{
	munmap(t->run, t->run_size);
	close(t->vcpu);
	close(t->vm);
	munmap(t->mem, t->size);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/*
 * The guest code below (templates and assembled guests) uses AMD's
 * vmmcall (0f 01 d9).
 * On Intel the hypercall is vmcall (0f 01 c1): KVM's emulator refuses the
 * other vendor's instruction in real mode and would patch it in guest
 * memory elsewhere. set_vendor() picks the byte from the CPUID vendor;
 * guest_code() copies guest code into guest memory with it.
 */
static uint8_t hypercall_modrm = 0xd9;

static void set_vendor(void)
{
	uint32_t a = 0, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e)	/* "GenuineIntel" */
		hypercall_modrm = 0xc1;
	printf("tpt_kvm_test: hypercall instruction %s\n",
	       hypercall_modrm == 0xc1 ? "vmcall (Intel)" : "vmmcall (AMD)");
}

static void guest_code(uint8_t *dst, const uint8_t *code, size_t len)
{
	memcpy(dst, code, len);
	for (size_t i = 0; i + 2 < len; i++)
		if (dst[i] == 0x0f && dst[i + 1] == 0x01 && dst[i + 2] == 0xd9)
			dst[i + 2] = hypercall_modrm;
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

	guest_code(code, tmpl, sizeof(tmpl));
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
#define PTE_P		1ULL
#define PTE_P_RW	3ULL

#define CPUID_1_ECX_VMX		(1u << 5)
#define CPUID_80000001_ECX_SVM	(1u << 2)

/*
 * The host's supported CPUID (long mode needs CPUID.LM), with @nested
 * VMX and SVM as KVM offers them.
 */
static struct kvm_cpuid2 *supported_cpuid(int kvm, bool nested)
{
	const unsigned int n = 256;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	if (!c)
		exit(2);
	c->nent = n;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c)) {
		perror("KVM_GET_SUPPORTED_CPUID");
		exit(2);
	}
	for (unsigned int i = 0; i < c->nent && !nested; i++) {
		if (c->entries[i].function == 1)
			c->entries[i].ecx &= ~CPUID_1_ECX_VMX;
		if (c->entries[i].function == 0x80000001)
			c->entries[i].ecx &= ~CPUID_80000001_ECX_SVM;
	}
	return c;
}

/*
 * The supported CPUID on the vCPU; without VMX and SVM in verify mode,
 * which refuses them (host patch 0036).
 */
static void tvm_set_cpuid(struct tvm *t, int kvm)
{
	struct kvm_cpuid2 *c = supported_cpuid(kvm, t->mode != KVM_TPT_MODE_VERIFY);

	if (ioctl(t->vcpu, KVM_SET_CPUID2, c)) {
		perror("KVM_SET_CPUID2");
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
	guest_code(t->mem + CODE_GPA, code, len);
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
/*
 * Frames the tests use as 1-D tables (TPT_ROOT_GPA's 11 pages, the
 * hostile VM's at 0x20000-0x22fff and a second tree's at 0x24000-0x27fff):
 * mapped read-only, as verify mode requires of any tree's tables.
 */
static bool tpt_table_gfn(uint64_t gfn)
{
	return gfn >= (TPT_ROOT_GPA >> 12) && gfn <= 0x2f;
}

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
		e = map_entry(t, src) << 12 | (tpt_table_gfn(gfn) ? PTE_P : PTE_P_RW);
		memcpy(t->mem + pt + 8 * gfn, &e, 8);
	}
}

/* VmLck of this process in kB (its mm's locked_vm), -1 if unreadable. */
static long vm_locked_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* RAX of KVM_HC_TPT_INIT for the whole map, from long mode. */
static uint64_t tvm_init64(struct tvm *t, int kvm)
{
	tvm_set_cpuid(t, kvm);
	tvm_long_mode(t);
	return tvm_hypercall64(t, HC_TPT_INIT, MAP_GPA, GUEST_FRAMES * 8);
}

/* Takes @cap out of this thread's effective set, or back in (if permitted). */
static int cap_effective(int cap, bool on)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	if (on)
		d[cap / 32].effective |= 1u << (cap % 32);
	else
		d[cap / 32].effective &= ~(1u << (cap % 32));
	return (int)syscall(SYS_capset, &h, d);
}

/*
 * The pins of INIT are charged to the VMM's locked_vm like VFIO's
 * (VmLck), given back with the VM, and refused beyond RLIMIT_MEMLOCK for
 * a VMM without CAP_IPC_LOCK: pinning nothing. The limit part runs in a
 * child, which drops the capability and sends its results back.
 */
static void pin_limit_child(int kvm, int out)
{
	struct result c = { 0, 0 };
	struct rlimit lim = { GUEST_MEM / 2, RLIM_INFINITY };
	struct tvm t;
	long base = pins_held(), lck;
	uint64_t got;

	if (cap_effective(CAP_IPC_LOCK, false) || setrlimit(RLIMIT_MEMLOCK, &lim)) {
		perror("drop CAP_IPC_LOCK / RLIMIT_MEMLOCK");
		_exit(2);
	}
	tvm_create(&t, kvm, KVM_TPT_MODE_VERIFY);
	lck = vm_locked_kb();
	got = tvm_init64(&t, kvm);
	check(&c, got == (uint64_t)-7 && pins_held() == base && vm_locked_kb() == lck,
	      "without CAP_IPC_LOCK, INIT beyond RLIMIT_MEMLOCK returns -KVM_E2BIG and pins nothing",
	      (long)got);
	tvm_destroy(&t);
	lim.rlim_cur = 2 * GUEST_MEM;
	if (setrlimit(RLIMIT_MEMLOCK, &lim)) {
		perror("RLIMIT_MEMLOCK");
		_exit(2);
	}
	tvm_create(&t, kvm, KVM_TPT_MODE_VERIFY);
	got = tvm_init64(&t, kvm);
	check(&c, got == GUEST_FRAMES && pins_held() - base == GUEST_FRAMES,
	      "...and within the limit INIT pins the guest", (long)got);
	tvm_destroy(&t);
	if (write(out, &c, sizeof(c)) != sizeof(c))
		_exit(2);
	_exit(0);
}

static void test_pin_accounting(struct result *r, int kvm)
{
	struct result c = { 0, 0 };
	long lck0 = vm_locked_kb(), lck;
	int fds[2], st = -1;
	struct tvm t;
	uint64_t got;
	pid_t pid;

	tvm_create(&t, kvm, KVM_TPT_MODE_VERIFY);
	got = tvm_init64(&t, kvm);
	lck = vm_locked_kb();
	check(r, got == GUEST_FRAMES && lck0 >= 0 && lck - lck0 == GUEST_MEM / 1024,
	      "INIT charges every pinned page to the VMM's locked_vm (VmLck)", lck - lck0);
	tvm_destroy(&t);
	check(r, vm_locked_kb() == lck0, "...and destroying the VM gives the charge back",
	      vm_locked_kb() - lck0);

	if (pipe(fds)) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		pin_limit_child(kvm, fds[1]);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &c, sizeof(c)) != sizeof(c))
		c.fail++;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	r->pass += c.pass;
	r->fail += c.fail;
	check(r, st == 0, "the RLIMIT_MEMLOCK child ran to its end", st);
}

/*
 * INIT racing with the VMM's memslot changes: a thread adds and deletes a
 * one-page slot at 4 GiB while the vCPU pins guest RAM. Whatever wins, the
 * frames INIT reports and pins must be those of the memslots as they are
 * afterwards, and every later change is refused.
 */
struct slot_flipper {
	int vm;
	volatile int stop;
	int present, ops, busy;
	void *page;
};

static void *slot_flip(void *arg)
{
	struct slot_flipper *f = arg;
	struct kvm_userspace_memory_region m = {
		.slot = 2, .guest_phys_addr = 1ULL << 32,
		.userspace_addr = (uint64_t)(uintptr_t)f->page,
	};

	while (!f->stop) {
		m.memory_size = f->present ? 0 : 4096;
		if (ioctl(f->vm, KVM_SET_USER_MEMORY_REGION, &m)) {
			f->busy = errno == EBUSY;
			break;
		}
		f->present = !f->present;
		f->ops++;
	}
	return NULL;
}

static void test_init_race(struct result *r, int kvm)
{
	const int rounds = 12;
	int ok = 0, raced = 0, refused = 0;
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	for (int i = 0; i < rounds; i++) {
		struct slot_flipper f = { .page = page };
		long base = pins_held(), want;
		struct tvm t;
		pthread_t th;
		uint64_t got;

		tvm_create(&t, kvm, KVM_TPT_MODE_VERIFY);
		tvm_set_cpuid(&t, kvm);
		tvm_long_mode(&t);
		f.vm = t.vm;
		pthread_create(&th, NULL, slot_flip, &f);
		while (__atomic_load_n(&f.ops, __ATOMIC_SEQ_CST) < i)
			usleep(100);
		got = tvm_hypercall64(&t, HC_TPT_INIT, MAP_GPA, GUEST_FRAMES * 8);
		f.stop = 1;
		pthread_join(th, NULL);
		raced += f.busy;
		want = f.present ? (long)((1ULL << 32) / 4096 + 1) : (long)GUEST_FRAMES;
		if ((long)got == want && pins_held() - base == GUEST_FRAMES + f.present)
			ok++;
		else
			printf("INIT race round %d: INIT returned %ld, slot %s after %d changes, %ld pins\n",
			       i, (long)got, f.present ? "present" : "absent", f.ops, pins_held() - base);
		{
			struct kvm_userspace_memory_region m = {
				.slot = 2, .guest_phys_addr = 1ULL << 32,
				.memory_size = f.present ? 0 : 4096,
				.userspace_addr = (uint64_t)(uintptr_t)page,
			};

			refused += ioctl(t.vm, KVM_SET_USER_MEMORY_REGION, &m) && errno == EBUSY;
		}
		tvm_destroy(&t);
	}
	munmap(page, 4096);
	printf("TPT-RACE INIT against memslot changes: %d of %d rounds ended by EBUSY in the changing thread\n",
	       raced, rounds);
	check(r, ok == rounds,
	      "INIT racing memslot adds/deletes: it reports and pins exactly the memslots that stay", ok);
	check(r, refused == rounds, "...and every memslot change after it is refused with EBUSY", refused);
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
	tvm_create(t, kvm, mode);
	if (tvm_init64(t, kvm) != GUEST_FRAMES) {
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

/*
 * tvm_ready() plus what the armed-load tests share: the guest's tables
 * copied to ARM_CR3, and 0xbbbb at GPA 0x400000 (read through nested
 * paging) and 0xaaaa at GPA 0x600000 (read at VA 0x400000 in TPT).
 */
static void tvm_ready_armable(struct tvm *t, int kvm, int mode)
{
	const uint64_t a = 0xaaaa, b = 0xbbbb;

	tvm_ready(t, kvm, mode);
	memcpy(t->mem + ARM_CR3, t->mem + PML4_GPA, 4096);
	memcpy(t->mem + 0x400000, &b, 8);
	memcpy(t->mem + 0x600000, &a, 8);
}
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

	tvm_ready_armable(&t, kvm, KVM_TPT_MODE_VERIFY);
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
 * The arm word (KVM_HC_TPT_ARM's a2, host patch 0019): KVM writes 2 there
 * when it arms the vCPU and 0 before the vCPU runs again once the arm is
 * gone, whether the guest disarmed or KVM dropped the arm behind the
 * guest's back (here KVM_SET_SREGS from the VMM), so a guest can see the
 * drift and arm again. A misaligned word or one outside guest RAM is
 * refused, and then nothing is armed.
 */
#define ARM_WORD_GPA 0x800000
/*
 * A hostile guest points the arm word at the leaf of its checked 1-D
 * table that maps VA 0x400000 (build_tpt_tables(): at TPT_ROOT_GPA +
 * 0x3000 + 8 * 0x400), after the walk has checked it. KVM's write must
 * leave a non-present entry, so the load through it faults (no IDT:
 * shutdown) instead of reading whatever frame the value would name.
 */
static void test_arm_word_in_table(struct result *r, int kvm)
{
	static const uint8_t code[] = {
		0xb8, 0x54, 0x54, 0, 0,			/* mov $HC_TPT_ARM, %eax */
		0xbb, 0, 0x50, 0, 0,			/* mov $ARM_CR3, %ebx */
		0xb9, 0, 0, 0x01, 0,			/* mov $TPT_ROOT_GPA, %ecx */
		0xba, 0, 0x50, 0x01, 0,			/* mov $leaf, %edx */
		0x0f, 0x01, 0xd9,			/* vmmcall */
		0x49, 0x89, 0xc0,			/* mov %rax, %r8 */
		0xb8, 0, 0x50, 0, 0,			/* mov $ARM_CR3, %eax */
		0x0f, 0x22, 0xd8,			/* mov %rax, %cr3: enters TPT */
		0x4c, 0x8b, 0x0c, 0x25, 0, 0, 0x40, 0,	/* mov 0x400000, %r9 */
		0xf4,					/* hlt */
	};
	const uint64_t leaf = TPT_ROOT_GPA + 0x3000 + 8 * 0x400;
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 2 };
	uint64_t e;
	struct tvm t;
	long got;

	tvm_ready(&t, kvm, KVM_TPT_MODE_VERIFY);
	memcpy(t.mem + ARM_CR3, t.mem + PML4_GPA, 4096);
	guest_code(t.mem + CODE_GPA, code, sizeof(code));
	if (ioctl(t.vcpu, KVM_SET_REGS, &regs)) {
		perror("KVM_SET_REGS");
		exit(2);
	}
	got = ioctl(t.vcpu, KVM_RUN, 0) ? -errno : (long)t.run->exit_reason;
	check(r, got == KVM_EXIT_SHUTDOWN,
	      "arm word on a checked leaf: the load through it faults (shutdown), reads nothing", got);
	memcpy(&e, t.mem + leaf, 8);
	check(r, e == 2, "arm word on a checked leaf: KVM left it non-present (2)", (long)e);
	if (ioctl(t.vcpu, KVM_GET_REGS, &regs) == 0) {
		check(r, regs.r8 == 0, "arm word on a checked leaf: the ARM itself succeeded", (long)regs.r8);
		check(r, regs.r9 == 0, "arm word on a checked leaf: %r9 never got data", (long)regs.r9);
	}
	tvm_destroy(&t);
}

static void test_arm_word(struct result *r, int kvm)
{
	uint8_t arm[] = {
		0xb8, 0x54, 0x54, 0, 0,			/* mov $HC_TPT_ARM, %eax */
		0xbb, 0, 0x50, 0, 0,			/* mov $ARM_CR3, %ebx */
		0xb9, 0, 0, 0x01, 0,			/* mov $TPT_ROOT_GPA, %ecx */
		0xba, 0, 0, 0, 0,			/* mov $word, %edx */
		0x0f, 0x01, 0xd9,			/* vmmcall */
		0x49, 0x89, 0xc0,			/* mov %rax, %r8 */
		0x4c, 0x8b, 0x0c, 0x25, 0, 0, 0x80, 0,	/* mov ARM_WORD_GPA, %r9 */
		0xb8, 0x54, 0x54, 0, 0,			/* mov $HC_TPT_ARM, %eax */
		0x31, 0xdb,				/* xor %ebx, %ebx */
		0x31, 0xc9,				/* xor %ecx, %ecx */
		0x31, 0xd2,				/* xor %edx, %edx: disarm */
		0x0f, 0x01, 0xd9,			/* vmmcall */
		0x4c, 0x8b, 0x14, 0x25, 0, 0, 0x80, 0,	/* mov ARM_WORD_GPA, %r10 */
		0xf4,					/* hlt */
	};
	static const uint8_t look[] = {
		0x4c, 0x8b, 0x0c, 0x25, 0, 0, 0x80, 0,	/* mov ARM_WORD_GPA, %r9 */
		0xf4,					/* hlt */
	};
	const size_t arm_only = 34;		/* ARM, then the word into %r9 */
	uint8_t arm1[sizeof(arm)];
	const uint64_t junk = 0x1234567812345678ULL;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint64_t word;
	struct tvm t;
	long got;

	tvm_ready(&t, kvm, KVM_TPT_MODE_VERIFY);
	memcpy(t.mem + ARM_CR3, t.mem + PML4_GPA, 4096);
	memcpy(t.mem + ARM_WORD_GPA, &junk, 8);
	/* Refused words: misaligned, and outside guest RAM. */
	put32(arm + 16, ARM_WORD_GPA + 4);
	if (tvm_run64(&t, arm, sizeof(arm), &regs) == 0)
		check(r, regs.r8 == (uint64_t)-22, "ARM with a misaligned arm word is refused (-KVM_EINVAL)",
		      (long)regs.r8);
	else
		check(r, false, "ARM with a misaligned arm word: the guest ran to hlt", -1);
	put32(arm + 16, GUEST_MEM + 0x1000);
	if (tvm_run64(&t, arm, sizeof(arm), &regs) == 0)
		check(r, regs.r8 == (uint64_t)-22, "ARM with an arm word outside guest RAM is refused (-KVM_EINVAL)",
		      (long)regs.r8);
	else
		check(r, false, "ARM with an arm word outside guest RAM: the guest ran to hlt", -1);
	got = vm_stat(t.vcpu, "tpt_arms");
	check(r, got == 0, "a refused arm word arms nothing (tpt_arms 0)", got);
	memcpy(&word, t.mem + ARM_WORD_GPA, 8);
	check(r, word == junk, "a refused arm word is left unwritten", (long)word);

	/* Armed with the word, then disarmed by the guest itself. */
	put32(arm + 16, ARM_WORD_GPA);
	if (tvm_run64(&t, arm, sizeof(arm), &regs) == 0) {
		check(r, regs.r8 == 0, "ARM with a valid arm word returns 0", (long)regs.r8);
		check(r, regs.r9 == 2, "KVM wrote 2 (armed) into the arm word", (long)regs.r9);
		check(r, regs.r10 == 0, "after the guest's disarm the arm word reads 0", (long)regs.r10);
	} else {
		check(r, false, "arm with a word, disarm: the guest ran to hlt", -1);
	}

	/* Armed again; the VMM's KVM_SET_SREGS drops the arm behind the guest. */
	memcpy(arm1, arm, arm_only);
	arm1[arm_only] = 0xf4;			/* hlt after reading the word */
	memcpy(t.mem + ARM_WORD_GPA, &junk, 8);
	if (tvm_run64(&t, arm1, arm_only + 1, &regs) || regs.r8 || regs.r9 != 2) {
		check(r, false, "armed again with the word (ARM 0, word 2)", (long)regs.r9);
		tvm_destroy(&t);
		return;
	}
	got = vm_stat(t.vcpu, "tpt_armed");
	check(r, got == 1, "the vCPU is armed (tpt_armed 1)", got);
	if (ioctl(t.vcpu, KVM_GET_SREGS, &sregs) || ioctl(t.vcpu, KVM_SET_SREGS, &sregs)) {
		perror("KVM_GET_SREGS/KVM_SET_SREGS");
		exit(2);
	}
	got = vm_stat(t.vcpu, "tpt_armed");
	check(r, got == 0, "KVM_SET_SREGS from the VMM dropped the arm (tpt_armed 0)", got);
	if (tvm_run64(&t, look, sizeof(look), &regs) == 0)
		check(r, regs.r9 == 0, "the guest's next instruction reads 0 in the arm word",
		      (long)regs.r9);
	else
		check(r, false, "after KVM_SET_SREGS the guest ran to hlt", -1);
	memcpy(&word, t.mem + ARM_WORD_GPA, 8);
	check(r, word == 0, "the arm word in guest RAM is 0", (long)word);
	got = vm_stat(t.vcpu, "tpt_forced_disarms");
	check(r, got == 1, "tpt_forced_disarms counts the dropped arm", got);
	tvm_destroy(&t);
	test_arm_word_in_table(r, kvm);
}

/*
 * A CR0 write that keeps PG and PE while the vCPU is armed (not in TPT)
 * keeps the arm, and the next armed CR3 load must still enter TPT. Here
 * the write toggles CR0.AM, which KVM intercepts on both vendors. With
 * kvm_intel.unrestricted_guest=0 vmx_set_cr0() used to turn CR3-load
 * exiting off for every CR0 write with paging on, so the armed load no
 * longer exited and the vCPU stayed on nested paging with the arm still
 * set (host patch 0020); tpt_kvm_test --restricted runs this check there.
 */
/*
 * The opening the armed-load guests below share: KVM_HC_TPT_ARM of
 * ARM_CR3 on TPT_ROOT_GPA without an arm word, its result in R8. A gas
 * macro, so each program still spells out its own bytes.
 */
__asm__(
"	.macro tg_arm\n"
"	mov $0x5454, %eax\n"		/* HC_TPT_ARM */
"	mov $0x5000, %ebx\n"		/* ARM_CR3 */
"	mov $0x10000, %ecx\n"		/* TPT_ROOT_GPA */
"	xor %edx, %edx\n"
"	vmmcall\n"
"	mov %rax, %r8\n"
"	.endm\n");
extern const uint8_t tg_cr0_armed[], tg_cr0_armed_end[];
__asm__(
"	.pushsection .rodata\n"
"tg_cr0_armed:\n"
"	.code64\n"
"	tg_arm\n"			/* ARM ARM_CR3 on TPT_ROOT_GPA; RAX -> R8 */
"	mov %cr0, %rax\n"
"	xor $0x40000, %eax\n"		/* CR0.AM on: PG, PE unchanged */
"	mov %rax, %cr0\n"
"	mov $0x5000, %eax\n"
"	mov %rax, %cr3\n"		/* armed load: enters TPT */
"	mov 0x400000, %r9\n"
"	mov %cr3, %r10\n"		/* leaves TPT, keeps the arm */
"	mov %cr0, %rax\n"
"	xor $0x40000, %eax\n"		/* CR0.AM off again */
"	mov %rax, %cr0\n"
"	mov $0x5000, %eax\n"
"	mov %rax, %cr3\n"		/* enters TPT again */
"	mov 0x400000, %r11\n"
"	mov %cr3, %rax\n"
"	hlt\n"
"tg_cr0_armed_end:\n"
"	.popsection\n");

static void test_cr0_keeps_arm(struct result *r, int kvm)
{
	const uint64_t a = 0xaaaa;
	struct kvm_regs regs;
	struct tvm t;
	long got;

	tvm_ready_armable(&t, kvm, KVM_TPT_MODE_VERIFY);
	if (tvm_run64(&t, tg_cr0_armed, (size_t)(tg_cr0_armed_end - tg_cr0_armed), &regs) == 0) {
		check(r, regs.r8 == 0, "CR0.AM while armed: ARM returns 0", (long)regs.r8);
		check(r, regs.r9 == a,
		      "after a CR0 write that keeps PG/PE, the armed CR3 load enters TPT",
		      (long)regs.r9);
		check(r, regs.r10 == ARM_CR3, "...and the CR3 read in TPT returns the armed CR3",
		      (long)regs.r10);
		check(r, regs.r11 == a, "after a second such CR0 write, the armed load enters again",
		      (long)regs.r11);
	} else {
		check(r, false, "CR0.AM while armed: the guest ran to hlt", -1);
	}
	got = vm_stat(t.vcpu, "tpt_enters");
	check(r, got == 2, "CR0.AM while armed: tpt_enters counts both armed loads", got);
	got = vm_stat(t.vcpu, "tpt_armed");
	check(r, got == 1, "CR0.AM while armed: the vCPU is still armed (tpt_armed 1)", got);
	tvm_destroy(&t);
}

/*
 * A change of CR0.WP drops the arm (host patch 0026), in both modes and on
 * VMX too, where the guest owns the bit with EPT: Linux clears it only to
 * kexec or kdump into another kernel, which must not inherit the arm.
 */
extern const uint8_t tg_wp_armed[], tg_wp_armed_end[];
__asm__(
"	.pushsection .rodata\n"
"tg_wp_armed:\n"
"	.code64\n"
"	tg_arm\n"			/* ARM ARM_CR3 on TPT_ROOT_GPA; RAX -> R8 */
"	mov %cr0, %rax\n"
"	and $0xfffffffffffeffff, %rax\n"	/* CR0.WP off, as kexec does */
"	mov %rax, %cr0\n"
"	or $0x10000, %rax\n"		/* and on again */
"	mov %rax, %cr0\n"
"	mov $0x5000, %eax\n"
"	mov %rax, %cr3\n"		/* the armed CR3: must not enter */
"	mov 0x400000, %r9\n"
"	hlt\n"
"tg_wp_armed_end:\n"
"	.popsection\n");

static void test_wp_drops_arm(struct result *r, int kvm)
{
	const uint64_t b = 0xbbbb;
	struct kvm_regs regs;
	struct tvm t;

	for (int m = 0; m < 2; m++) {
		const char *mode = m ? "trust" : "verify";
		char msg[160];

		tvm_ready_armable(&t, kvm, m ? KVM_TPT_MODE_TRUST : KVM_TPT_MODE_VERIFY);
		snprintf(msg, sizeof(msg), "%s: CR0.WP toggled while armed: ARM returned 0, the guest ran to hlt",
			 mode);
		if (tvm_run64(&t, tg_wp_armed, (size_t)(tg_wp_armed_end - tg_wp_armed), &regs)) {
			check(r, false, msg, -1);
			tvm_destroy(&t);
			continue;
		}
		check(r, regs.r8 == 0, msg, (long)regs.r8);
		snprintf(msg, sizeof(msg), "%s: ...the armed CR3 load after it stays on nested paging", mode);
		check(r, regs.r9 == b, msg, (long)regs.r9);
		snprintf(msg, sizeof(msg),
			 "%s: ...arm dropped by KVM (tpt_forced_disarms 1, tpt_armed 0, tpt_enters 0)", mode);
		check(r, vm_stat(t.vcpu, "tpt_forced_disarms") == 1 && vm_stat(t.vcpu, "tpt_armed") == 0 &&
		      vm_stat(t.vcpu, "tpt_enters") == 0, msg, vm_stat(t.vcpu, "tpt_forced_disarms"));
		tvm_destroy(&t);
	}
}

/*
 * VMX runs a vCPU in TPT without unrestricted guest, and a guest can reach
 * state only unrestricted guest allows without an exit: a SYSCALL whose
 * STAR gives SS an RPL (3) other than CS's (0). The next VM entry then
 * fails; KVM must leave TPT and enter again (host patch 0030), not end the
 * VM with KVM_EXIT_FAIL_ENTRY. SVM has no such check: the vCPU stays in TPT.
 */
extern const uint8_t tg_syscall[], tg_syscall_end[];
__asm__(
"	.pushsection .rodata\n"
"tg_syscall:\n"
"	.code64\n"
"	mov $0xc0000080, %ecx\n"	/* EFER.SCE, before ENTER (an EFER write leaves) */
"	rdmsr\n"
"	or $1, %eax\n"
"	wrmsr\n"
"	mov $0xc0000081, %ecx\n"	/* STAR[47:32] = 0x0b: CS 0x08, SS 0x13 (RPL 3) */
"	xor %eax, %eax\n"
"	mov $0x0000000b, %edx\n"
"	wrmsr\n"
"	mov $0xc0000082, %ecx\n"	/* LSTAR */
"	lea 1f(%rip), %rax\n"
"	mov %rax, %rdx\n"
"	shr $32, %rdx\n"
"	wrmsr\n"
"	mov $0x5452, %eax\n"		/* HC_TPT_ENTER */
"	mov $0x10000, %ebx\n"		/* TPT_ROOT_GPA */
"	vmmcall\n"
"	mov %rax, %r8\n"
"	mov 0x400000, %r9\n"		/* in TPT */
"	syscall\n"
"1:	xor %eax, %eax\n"
"	cpuid\n"			/* an exit, and an entry with SS.RPL 3, CS.RPL 0 */
"	mov 0x400000, %r10\n"
"	mov %ss, %eax\n"
"	mov %rax, %r12\n"
"	hlt\n"
"tg_syscall_end:\n"
"	.popsection\n");

static long tvm_run_exit(struct tvm *t, const uint8_t *code, size_t len, struct kvm_regs *regs);

static void test_syscall_rpl(struct result *r, int kvm)
{
	const bool vmx = hypercall_modrm == 0xc1;
	const uint64_t a = 0xaaaa, b = 0xbbbb;
	struct kvm_regs regs;
	struct tvm t;
	long got;

	tvm_ready(&t, kvm, KVM_TPT_MODE_VERIFY);
	memcpy(t.mem + 0x400000, &b, 8);
	memcpy(t.mem + 0x600000, &a, 8);
	got = tvm_run_exit(&t, tg_syscall, (size_t)(tg_syscall_end - tg_syscall), &regs);
	check(r, got == KVM_EXIT_HLT && regs.r8 == 0 && regs.r9 == a,
	      "SYSCALL in TPT to SS.RPL 3, CS.RPL 0: the guest ran on to hlt (no failed entry)", got);
	/*
	 * The SDM and APM load SS with STAR[47:32] + 8, RPL included; Bochs
	 * and QEMU's TCG mask the RPL off, so there is no invalid state to
	 * enter with in the test beds.
	 */
	if ((regs.r12 & 0xffff) != 0x13) {
		printf("SKIP SYSCALL to SS.RPL 3: this CPU loaded SS %#llx (RPL masked), no failing entry to make\n",
		       (unsigned long long)(regs.r12 & 0xffff));
		tvm_destroy(&t);
		return;
	}
	check(r, regs.r10 == (vmx ? b : a),
	      vmx ? "...VMX left TPT for the entry (the load after it is nested)" :
		    "...SVM stayed in TPT (no such entry check)", (long)regs.r10);
	got = vm_stat(t.vcpu, "tpt_forced_exits");
	check(r, got == (vmx ? 1 : 0), vmx ? "...counted in tpt_forced_exits (1)" :
	      "...tpt_forced_exits 0", got);
	tvm_destroy(&t);
}

/*
 * The guest's PAT in TPT (host patch 0021): on VMX a vCPU in TPT runs with
 * an all-WB PAT in the VMCS, and the guest's value must still be what
 * RDMSR and KVM_GET_MSRS return, for a WRMSR in TPT and a KVM_SET_MSRS
 * from the VMM while the vCPU is in TPT, and neither may end TPT. The
 * memory type itself is not visible here. On SVM a PAT other than the
 * host's ends TPT (host patch 0024, test_host_pat()), so there both
 * writes are of the host's PAT.
 */
#define PAT_GUEST	0x0001050400070406ULL	/* written by the guest in TPT */
#define PAT_VMM		0x0007040600010406ULL	/* set by the VMM in TPT */
#define PAT_DATA_GPA	0x8000			/* the value the guest writes */

static bool vendor_amd(void)
{
	return hypercall_modrm == 0xd9;
}
extern const uint8_t tg_pat[], tg_pat_end[];
__asm__(
"	.pushsection .rodata\n"
"tg_pat:\n"
"	.code64\n"
"	mov $0x5452, %eax\n"		/* HC_TPT_ENTER */
"	mov $0x10000, %ebx\n"		/* TPT_ROOT_GPA */
"	vmmcall\n"
"	mov %rax, %r8\n"
"	mov $0x277, %ecx\n"		/* MSR_IA32_CR_PAT */
"	mov 0x8000, %eax\n"		/* PAT_DATA_GPA */
"	mov 0x8004, %edx\n"
"	wrmsr\n"
"	rdmsr\n"
"	shl $32, %rdx\n"
"	or %rdx, %rax\n"
"	mov %rax, %r9\n"
"	mov 0x400000, %r10\n"		/* still in TPT */
"	out %al, $0x80\n"		/* the VMM reads and sets PAT */
"	mov $0x277, %ecx\n"
"	rdmsr\n"
"	shl $32, %rdx\n"
"	or %rdx, %rax\n"
"	mov %rax, %r11\n"
"	mov 0x400000, %r12\n"		/* still in TPT */
"	mov %cr3, %r13\n"		/* leaves TPT */
"	mov 0x400000, %r14\n"
"	hlt\n"
"tg_pat_end:\n"
"	.popsection\n");

static void test_pat_in_tpt(struct result *r, int kvm)
{
	const uint64_t a = 0xaaaa, b = 0xbbbb;
	const uint64_t pat_guest = vendor_amd() ? host_pat : PAT_GUEST;
	const uint64_t pat_vmm = vendor_amd() ? host_pat : PAT_VMM;
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 2 };
	uint64_t pat_at_port = 0, pat = pat_vmm, pat_after = 0;
	long active_at_port = -1;
	int ran = -1, set = -1;
	struct tvm t;
	long got;

	tvm_ready(&t, kvm, KVM_TPT_MODE_VERIFY);
	memcpy(t.mem + PAT_DATA_GPA, &pat_guest, 8);
	memcpy(t.mem + 0x400000, &b, 8);
	memcpy(t.mem + 0x600000, &a, 8);
	guest_code(t.mem + CODE_GPA, tg_pat, (size_t)(tg_pat_end - tg_pat));
	if (ioctl(t.vcpu, KVM_SET_REGS, &regs)) {
		perror("KVM_SET_REGS");
		exit(2);
	}
	for (int i = 0; i < 3 && ran < 0; i++) {
		if (ioctl(t.vcpu, KVM_RUN, 0))
			break;
		if (t.run->exit_reason == KVM_EXIT_HLT)
			ran = 0;
		else if (t.run->exit_reason == KVM_EXIT_IO && set < 0) {
			active_at_port = vm_stat(t.vcpu, "tpt_active");
			vcpu_msr(t.vcpu, false, 0x277, &pat_at_port);
			set = vcpu_msr(t.vcpu, true, 0x277, &pat);
		} else {
			break;
		}
	}
	vcpu_msr(t.vcpu, false, 0x277, &pat_after);
	if (ran == 0 && ioctl(t.vcpu, KVM_GET_REGS, &regs) == 0) {
		check(r, regs.r8 == 0, "PAT in TPT: ENTER returns 0", (long)regs.r8);
		check(r, regs.r9 == pat_guest, "PAT in TPT: RDMSR returns the guest's WRMSR",
		      (long)regs.r9);
		check(r, regs.r10 == a && regs.r12 == a,
		      "PAT in TPT: WRMSR and KVM_SET_MSRS of PAT keep the vCPU in TPT",
		      (long)regs.r12);
		check(r, regs.r11 == pat_vmm, "PAT in TPT: RDMSR returns the VMM's KVM_SET_MSRS",
		      (long)regs.r11);
		check(r, regs.r14 == b, "PAT in TPT: after the CR3 read, loads use nested paging",
		      (long)regs.r14);
	} else {
		check(r, false, "PAT in TPT: the guest ran to hlt", -1);
	}
	check(r, active_at_port == 1, "PAT in TPT: the vCPU was in TPT at the port exit",
	      active_at_port);
	check(r, pat_at_port == pat_guest, "PAT in TPT: KVM_GET_MSRS returns the guest's WRMSR",
	      (long)pat_at_port);
	check(r, set == 0 && pat_after == pat_vmm,
	      "PAT in TPT: KVM_SET_MSRS in TPT round-trips through KVM_GET_MSRS", (long)pat_after);
	got = vm_stat(t.vcpu, "tpt_exits");
	check(r, got == 1, "PAT in TPT: only the CR3 read ended TPT (tpt_exits 1)", got);
	got = tvm_enter_only(&t, TPT_ROOT_GPA);
	check(r, got == 0, "PAT in TPT: ENTER works again afterwards", got);
	tvm_destroy(&t);
}

/*
 * TPT only with the host's PAT on SVM (host patch 0024): with nested paging
 * off the VMCB's guest PAT is not used and the CPU applies the host's PAT
 * to the guest's PAT index bits. With a guest PAT other than the host's,
 * ENTER and ARM are refused (-KVM_EOPNOTSUPP, tpt_mode_refusals); with the
 * host's they work; a PAT write that makes the two differ while in TPT
 * (guest WRMSR, or KVM_SET_MSRS from the VMM) or while armed leaves TPT
 * and drops the arm, and the guest's next load of the marker at VA
 * 0x400000 reads guest-physical 0x400000 (0xbbbb), not the frame the 1-D
 * table names there (0xaaaa). On VMX the guest's PAT does not matter
 * (host patch 0021): the same steps stay in TPT.
 */
extern const uint8_t tg_hp_write[], tg_hp_write_end[];
extern const uint8_t tg_hp_armed[], tg_hp_armed_end[];
extern const uint8_t tg_hp_vmm[], tg_hp_vmm_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code64\n"
"tg_hp_write:\n"			/* ENTER, then WRMSR PAT in TPT */
"	mov $0x5452, %eax\n"		/* HC_TPT_ENTER */
"	mov $0x10000, %ebx\n"		/* TPT_ROOT_GPA */
"	xor %ecx, %ecx\n"
"	vmmcall\n"
"	mov %rax, %r8\n"
"	mov 0x400000, %r9\n"		/* in TPT: 0xaaaa */
"	mov $0x277, %ecx\n"		/* MSR_IA32_CR_PAT */
"	mov 0x8000, %eax\n"		/* PAT_DATA_GPA */
"	mov 0x8004, %edx\n"
"	wrmsr\n"
"	mov 0x400000, %r10\n"
"	hlt\n"
"tg_hp_write_end:\n"
"tg_hp_armed:\n"			/* ARM, WRMSR PAT, the armed CR3 load */
"	tg_arm\n"			/* ARM ARM_CR3 on TPT_ROOT_GPA; RAX -> R8 */
"	mov $0x277, %ecx\n"
"	mov 0x8000, %eax\n"
"	mov 0x8004, %edx\n"
"	wrmsr\n"
"	mov $0x5000, %eax\n"
"	mov %rax, %cr3\n"		/* enters TPT only if still armed */
"	mov 0x400000, %r9\n"
"	hlt\n"
"tg_hp_armed_end:\n"
"tg_hp_vmm:\n"				/* ENTER, the VMM sets PAT at the port */
"	mov $0x5452, %eax\n"
"	mov $0x10000, %ebx\n"
"	xor %ecx, %ecx\n"
"	vmmcall\n"
"	mov %rax, %r8\n"
"	mov 0x400000, %r9\n"
"	out %al, $0x80\n"
"	mov 0x400000, %r10\n"
"	hlt\n"
"tg_hp_vmm_end:\n"
"	.popsection\n");

static void test_host_pat(struct result *r, int kvm)
{
	const uint64_t a = 0xaaaa, b = 0xbbbb;
	const uint64_t other = host_pat == PAT_POWER_ON ? PAT_GUEST : PAT_POWER_ON;
	const bool amd = vendor_amd();
	const uint64_t out_of_tpt = amd ? b : a;	/* marker after the PAT change */
	struct kvm_regs regs;
	uint64_t pat, got;
	long active_at_port = -1, f0, d0, m0;
	int ran = -1, set = -1;
	struct tvm t;

	check(r, (host_pat_cpus > 0 || strcmp(host_pat_source, "the kernel log") == 0) &&
	      host_pat_mismatch == 0,
	      "host PAT: read (msr module or kernel log), the same on every CPU read",
	      host_pat_cpus);

	/* ENTER and ARM with a guest PAT other than the host's, then with it. */
	tvm_ready(&t, kvm, KVM_TPT_MODE_VERIFY);
	memcpy(t.mem + ARM_CR3, t.mem + PML4_GPA, 4096);
	pat = other;
	vcpu_msr(t.vcpu, true, MSR_PAT, &pat);
	m0 = vm_stat(t.vcpu, "tpt_mode_refusals");
	got = tvm_enter_only(&t, TPT_ROOT_GPA);
	check(r, got == (amd ? (uint64_t)-95 : 0),
	      amd ? "host PAT: ENTER with another guest PAT is refused (-KVM_EOPNOTSUPP)" :
		    "host PAT: ENTER with another guest PAT works on VMX", (long)got);
	got = tvm_hypercall64(&t, HC_TPT_ARM, ARM_CR3, TPT_ROOT_GPA);
	check(r, got == (amd ? (uint64_t)-95 : 0),
	      amd ? "host PAT: ARM with another guest PAT is refused (-KVM_EOPNOTSUPP)" :
		    "host PAT: ARM with another guest PAT works on VMX", (long)got);
	tvm_hypercall64(&t, HC_TPT_ARM, 0, 0);
	got = (uint64_t)(vm_stat(t.vcpu, "tpt_mode_refusals") - m0);
	check(r, got == (amd ? 2 : 0), "host PAT: tpt_mode_refusals counted the refusals",
	      (long)got);
	got = (uint64_t)vm_stat(t.vcpu, "tpt_enters");
	check(r, got == (amd ? 0 : 1), "host PAT: tpt_enters counts only entries made", (long)got);
	pat = host_pat;
	vcpu_msr(t.vcpu, true, MSR_PAT, &pat);
	got = tvm_enter_only(&t, TPT_ROOT_GPA);
	check(r, got == 0, "host PAT: ENTER with the host's PAT works", (long)got);
	got = tvm_hypercall64(&t, HC_TPT_ARM, ARM_CR3, TPT_ROOT_GPA);
	check(r, got == 0, "host PAT: ARM with the host's PAT works", (long)got);
	tvm_destroy(&t);

	/* A guest WRMSR of another PAT in TPT. */
	tvm_ready(&t, kvm, KVM_TPT_MODE_VERIFY);
	memcpy(t.mem + PAT_DATA_GPA, &other, 8);
	memcpy(t.mem + 0x400000, &b, 8);
	memcpy(t.mem + 0x600000, &a, 8);
	if (tvm_run64(&t, tg_hp_write, (size_t)(tg_hp_write_end - tg_hp_write), &regs) == 0) {
		check(r, regs.r8 == 0 && regs.r9 == a,
		      "host PAT: ENTER works and the load before the WRMSR is in TPT", (long)regs.r9);
		check(r, regs.r10 == out_of_tpt,
		      amd ? "host PAT: after a guest WRMSR of another PAT the guest reads guest-physical memory" :
			    "host PAT: a guest WRMSR of another PAT keeps TPT on VMX", (long)regs.r10);
	} else {
		check(r, false, "host PAT: the WRMSR guest ran to hlt", -1);
	}
	got = (uint64_t)vm_stat(t.vcpu, "tpt_active");
	check(r, got == (amd ? 0 : 1), "host PAT: tpt_active after the WRMSR", (long)got);
	got = (uint64_t)vm_stat(t.vcpu, "tpt_forced_exits");
	check(r, got == (amd ? 1 : 0), "host PAT: the WRMSR counted in tpt_forced_exits", (long)got);
	pat = 0;
	vcpu_msr(t.vcpu, false, MSR_PAT, &pat);
	check(r, pat == other, "host PAT: KVM_GET_MSRS returns the guest's PAT", (long)pat);
	got = tvm_enter_only(&t, TPT_ROOT_GPA);
	check(r, got == (amd ? (uint64_t)-95 : 0),
	      "host PAT: ENTER after it is refused on SVM only", (long)got);
	tvm_destroy(&t);

	/* A guest WRMSR of another PAT while armed, then the armed CR3 load. */
	tvm_ready_armable(&t, kvm, KVM_TPT_MODE_VERIFY);
	memcpy(t.mem + PAT_DATA_GPA, &other, 8);
	d0 = vm_stat(t.vcpu, "tpt_forced_disarms");
	if (tvm_run64(&t, tg_hp_armed, (size_t)(tg_hp_armed_end - tg_hp_armed), &regs) == 0) {
		check(r, regs.r8 == 0, "host PAT: ARM with the host's PAT returns 0", (long)regs.r8);
		check(r, regs.r9 == out_of_tpt,
		      amd ? "host PAT: a WRMSR of another PAT drops the arm (the armed load reads guest-physical)" :
			    "host PAT: the arm survives a WRMSR of another PAT on VMX", (long)regs.r9);
	} else {
		check(r, false, "host PAT: the armed guest ran to hlt", -1);
	}
	got = (uint64_t)vm_stat(t.vcpu, "tpt_armed");
	check(r, got == (amd ? 0 : 1), "host PAT: tpt_armed after the WRMSR", (long)got);
	got = (uint64_t)(vm_stat(t.vcpu, "tpt_forced_disarms") - d0);
	check(r, got == (amd ? 1 : 0), "host PAT: the drop counted in tpt_forced_disarms",
	      (long)got);
	tvm_destroy(&t);

	/* KVM_SET_MSRS of another PAT from the VMM while the vCPU is in TPT. */
	tvm_ready(&t, kvm, KVM_TPT_MODE_VERIFY);
	memcpy(t.mem + 0x400000, &b, 8);
	memcpy(t.mem + 0x600000, &a, 8);
	guest_code(t.mem + CODE_GPA, tg_hp_vmm, (size_t)(tg_hp_vmm_end - tg_hp_vmm));
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	if (ioctl(t.vcpu, KVM_SET_REGS, &regs)) {
		perror("KVM_SET_REGS");
		exit(2);
	}
	f0 = vm_stat(t.vcpu, "tpt_forced_exits");
	for (int i = 0; i < 3 && ran < 0; i++) {
		if (ioctl(t.vcpu, KVM_RUN, 0))
			break;
		if (t.run->exit_reason == KVM_EXIT_HLT) {
			ran = 0;
		} else if (t.run->exit_reason == KVM_EXIT_IO && set < 0) {
			active_at_port = vm_stat(t.vcpu, "tpt_active");
			pat = other;
			set = vcpu_msr(t.vcpu, true, MSR_PAT, &pat);
		} else {
			break;
		}
	}
	if (ran == 0 && ioctl(t.vcpu, KVM_GET_REGS, &regs) == 0) {
		check(r, regs.r8 == 0 && regs.r9 == a && active_at_port == 1,
		      "host PAT: in TPT at the port exit", active_at_port);
		check(r, set == 0 && regs.r10 == out_of_tpt,
		      amd ? "host PAT: after KVM_SET_MSRS of another PAT the guest reads guest-physical memory" :
			    "host PAT: KVM_SET_MSRS of another PAT keeps TPT on VMX", (long)regs.r10);
	} else {
		check(r, false, "host PAT: the KVM_SET_MSRS guest ran to hlt", -1);
	}
	got = (uint64_t)(vm_stat(t.vcpu, "tpt_forced_exits") - f0);
	check(r, got == (amd ? 1 : 0), "host PAT: KVM_SET_MSRS counted in tpt_forced_exits",
	      (long)got);
	tvm_destroy(&t);
}

/*
 * Instructions KVM emulates while the vCPU is in TPT (host patch 0022):
 * the emulator reads guest memory through the guest's own tables, not the
 * 1-D one, so KVM must leave TPT first and the vCPU go on in the view the
 * emulation used. In TPT, VA 0x400000 reads 0xaaaa (1-D) and 0xbbbb on
 * the guest's own tables. A string OUT from 0x400000 (emulated on both
 * vendors) must send the byte the guest reads there afterwards; the other
 * vendor's hypercall instruction (#UD, decoded and patched by KVM's
 * emulator, then run again) must work and leave TPT too.
 */
extern const uint8_t tg_emul[], tg_emul_hc[], tg_emul_end[];
__asm__(
"	.pushsection .rodata\n"
"tg_emul:\n"
"	.code64\n"
"	mov $0x5452, %eax\n"		/* HC_TPT_ENTER */
"	mov $0x10000, %ebx\n"		/* TPT_ROOT_GPA */
"	vmmcall\n"
"	mov %rax, %r8\n"
"	mov 0x400000, %r9\n"		/* 0xaaaa: in TPT */
"	mov $0x400000, %esi\n"
"	mov $0x80, %edx\n"
"	outsb\n"			/* emulated string I/O */
"	mov 0x400000, %r10\n"
"	mov $0x5452, %eax\n"
"	mov $0x10000, %ebx\n"
"	vmmcall\n"			/* ENTER again */
"	mov %rax, %r11\n"
"	mov 0x400000, %r12\n"		/* 0xaaaa: in TPT */
"	mov $0x7777, %eax\n"		/* no such hypercall: -KVM_ENOSYS */
"tg_emul_hc:\n"
"	.byte 0x0f, 0x01, 0x00\n"	/* the other vendor's hypercall */
"	mov %rax, %r13\n"
"	mov 0x400000, %r14\n"
"	hlt\n"
"tg_emul_end:\n"
"	.popsection\n");

static void test_emulation_leaves(struct result *r, int kvm)
{
	const size_t hc = (size_t)(tg_emul_hc - tg_emul);
	const uint8_t native = hypercall_modrm, foreign = native == 0xc1 ? 0xd9 : 0xc1;
	const uint64_t a = 0xaaaa, b = 0xbbbb;
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 2 };
	long out_byte = -1, active_at_out = -1, exits0, forced0;
	int ran = -1;
	struct tvm t;
	long got;

	tvm_ready(&t, kvm, KVM_TPT_MODE_VERIFY);
	memcpy(t.mem + 0x400000, &b, 8);
	memcpy(t.mem + 0x600000, &a, 8);
	guest_code(t.mem + CODE_GPA, tg_emul, (size_t)(tg_emul_end - tg_emul));
	t.mem[CODE_GPA + hc + 2] = foreign;
	if (ioctl(t.vcpu, KVM_SET_REGS, &regs)) {
		perror("KVM_SET_REGS");
		exit(2);
	}
	exits0 = vm_stat(t.vcpu, "tpt_exits");
	forced0 = vm_stat(t.vcpu, "tpt_forced_exits");
	for (int i = 0; i < 3 && ran < 0; i++) {
		if (ioctl(t.vcpu, KVM_RUN, 0))
			break;
		if (t.run->exit_reason == KVM_EXIT_HLT) {
			ran = 0;
		} else if (t.run->exit_reason == KVM_EXIT_IO && out_byte < 0 &&
			   t.run->io.direction == KVM_EXIT_IO_OUT && t.run->io.size == 1) {
			out_byte = ((uint8_t *)t.run)[t.run->io.data_offset];
			active_at_out = vm_stat(t.vcpu, "tpt_active");
		} else {
			break;
		}
	}
	if (ran == 0 && ioctl(t.vcpu, KVM_GET_REGS, &regs) == 0) {
		check(r, regs.r8 == 0 && regs.r9 == a, "emulation in TPT: ENTER, a load via the 1-D table",
		      (long)regs.r9);
		check(r, out_byte == (long)(regs.r10 & 0xff),
		      "string OUT in TPT sends the byte the guest then reads at its address",
		      out_byte);
		check(r, regs.r10 == b, "string OUT in TPT: the vCPU goes on out of TPT", (long)regs.r10);
		check(r, regs.r11 == 0 && regs.r12 == a, "emulation in TPT: ENTER again works",
		      (long)regs.r12);
		check(r, regs.r13 == (uint64_t)-1000,
		      "the other vendor's hypercall in TPT (#UD, emulated) returns -KVM_ENOSYS",
		      (long)regs.r13);
		check(r, regs.r14 == b, "the #UD that KVM emulated took the vCPU out of TPT",
		      (long)regs.r14);
	} else {
		check(r, false, "emulation in TPT: the guest ran to hlt", -1);
	}
	check(r, active_at_out == 0, "string OUT in TPT: tpt_active 0 at the I/O exit", active_at_out);
	check(r, t.mem[CODE_GPA + hc + 2] == native,
	      "KVM patched the other vendor's hypercall to the native one", t.mem[CODE_GPA + hc + 2]);
	got = vm_stat(t.vcpu, "tpt_exits") - exits0;
	check(r, got == 2, "emulation in TPT: tpt_exits counts the two emulated exits", got);
	got = vm_stat(t.vcpu, "tpt_forced_exits") - forced0;
	check(r, got == 2, "emulation in TPT: both were forced exits (tpt_forced_exits)", got);
	tvm_destroy(&t);
}

/*
 * State changes that need unrestricted guest, made from outside while the
 * vCPU is in TPT, where VMX runs without it: KVM_GET_SREGS must return the
 * guest's CR3 (not the root), and KVM_SET_SREGS into real mode must end
 * TPT so that the vCPU runs (no failed VM entry). On VMX only: SVM's switch
 * does not end TPT on CR0 changes that come without an intercept.
 */
static void test_sregs_in_tpt(struct result *r, int kvm)
{
	static const uint8_t code[] = {
		0xb8, 0x52, 0x54, 0, 0,			/* mov $HC_TPT_ENTER, %eax */
		0xbb, 0x00, 0x00, 0x01, 0x00,		/* mov $TPT_ROOT_GPA, %ebx */
		0x0f, 0x01, 0xd9,			/* vmmcall */
		0x49, 0x89, 0xc0,			/* mov %rax, %r8 */
		0xf4,					/* hlt, still in TPT */
	};
	struct kvm_segment seg = {
		.limit = 0xffff, .type = 3, .present = 1, .s = 1,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct tvm t;
	long got;

	if (hypercall_modrm != 0xc1) {
		printf("SKIP SET_SREGS into real mode in TPT (VMX only)\n");
		return;
	}
	tvm_ready(&t, kvm, KVM_TPT_MODE_VERIFY);
	if (tvm_run64(&t, code, sizeof(code), &regs) || regs.r8) {
		check(r, false, "ENTER, then hlt in TPT mode", (long)regs.r8);
		tvm_destroy(&t);
		return;
	}
	got = vm_stat(t.vcpu, "tpt_enters") - vm_stat(t.vcpu, "tpt_exits");
	check(r, got == 1, "the vCPU halted in TPT mode", got);
	if (ioctl(t.vcpu, KVM_GET_SREGS, &sregs)) {
		perror("KVM_GET_SREGS");
		exit(2);
	}
	check(r, sregs.cr3 == PML4_GPA, "KVM_GET_SREGS in TPT mode returns the guest's own CR3",
	      (long)sregs.cr3);
	sregs.cr0 = 0x10;	/* ET: real mode, paging off */
	sregs.cr4 = 0;
	sregs.efer = 0;
	sregs.cs = seg;
	sregs.cs.type = 11;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
	t.mem[CODE_GPA] = 0xf4;	/* hlt */
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	if (ioctl(t.vcpu, KVM_SET_SREGS, &sregs) || ioctl(t.vcpu, KVM_SET_REGS, &regs)) {
		perror("KVM_SET_SREGS/REGS (real mode)");
		exit(2);
	}
	got = ioctl(t.vcpu, KVM_RUN, 0) ? -errno : (long)t.run->exit_reason;
	check(r, got == KVM_EXIT_HLT, "after KVM_SET_SREGS into real mode the vCPU runs to hlt",
	      got);
	got = vm_stat(t.vcpu, "tpt_exits");
	check(r, got == 1, "KVM_SET_SREGS into real mode ended TPT (tpt_exits 1)", got);
	tvm_destroy(&t);
}

/*
 * Trust mode checks the root only: it accepts a table that verify mode
 * refuses (the guest below never touches the bad mapping). And the price
 * of verify mode: enter+exit round trips on the same 16 MiB table in both
 * modes (under emulation: report the ratio, not the times).
 */
/*
 * Host memory changed under the pinned map (host patch 0013). After
 * MADV_DONTNEED on a page of guest RAM the VMM maps a new page there
 * while the pin keeps the old one: a guest would read one version through
 * its 1-D tables and another through the 2-D view. KVM must take every
 * vCPU out of TPT at the change and refuse TPT from then on. A notifier
 * that changed no page (mprotect there and back) costs a recheck only.
 */
static void test_stale(struct result *r, int kvm)
{
	static const uint8_t enter_stay[] = {
		0xb8, 0x52, 0x54, 0, 0,		/* mov $HC_TPT_ENTER, %eax */
		0xbb, 0, 0, 1, 0,		/* mov $TPT_ROOT_GPA, %ebx */
		0x0f, 0x01, 0xd9,		/* vmmcall */
		0xf4,				/* hlt: in TPT */
		0xf4,				/* hlt: after the change */
	};
	const uint64_t gfn = 0x123;
	long rc0, fx0;
	struct kvm_regs regs;
	uint8_t *page;
	uint64_t got;
	struct tvm v;

	tvm_ready(&v, kvm, KVM_TPT_MODE_VERIFY);
	page = v.mem + gfn * 4096;
	got = tvm_enter_only(&v, TPT_ROOT_GPA);
	check(r, got == 0 && vm_stat(v.vm, "tpt_broken") == 0,
	      "host change: ENTER works while guest RAM is as pinned", (long)got);
	rc0 = vm_stat(v.vm, "tpt_rechecked");
	if (mprotect(page, 4096, PROT_READ) || mprotect(page, 4096, PROT_READ | PROT_WRITE)) {
		perror("mprotect");
		exit(2);
	}
	got = tvm_enter_only(&v, TPT_ROOT_GPA);
	check(r, got == 0 && vm_stat(v.vm, "tpt_rechecked") > rc0 && vm_stat(v.vm, "tpt_broken") == 0,
	      "...an MMU notifier that changed no page (mprotect there and back): rechecked, ENTER works",
	      vm_stat(v.vm, "tpt_rechecked") - rc0);

	{
		/*
		 * KVM invalidates the slot (and may zap it through
		 * kvm_unmap_gfn_range) before the TPT check refuses the delete:
		 * that must not count as a changed page.
		 */
		struct kvm_userspace_memory_region del = { .slot = 0 };
		int e = ioctl(v.vm, KVM_SET_USER_MEMORY_REGION, &del) ? errno : 0;

		got = tvm_enter_only(&v, TPT_ROOT_GPA);
		check(r, e == EBUSY && got == 0 && vm_stat(v.vm, "tpt_broken") == 0,
		      "...a refused memslot delete (EBUSY) leaves TPT usable", (long)got);
	}
	memset(page, 0xa5, 4096);
	got = (uint64_t)tvm_run64(&v, enter_stay, sizeof(enter_stay), &regs);
	check(r, got == 0 && regs.rax == 0 && vm_stat(v.vcpu, "tpt_active") == 1,
	      "...a vCPU halted in TPT", vm_stat(v.vcpu, "tpt_active"));
	fx0 = vm_stat(v.vcpu, "tpt_forced_exits");
	if (madvise(page, 4096, MADV_DONTNEED)) {
		perror("madvise");
		exit(2);
	}
	page[0] = 0x11;		/* the VMM's new page */
	got = ioctl(v.vcpu, KVM_RUN, 0) || v.run->exit_reason != KVM_EXIT_HLT;
	check(r, !got && vm_stat(v.vcpu, "tpt_active") == 0 &&
	      vm_stat(v.vcpu, "tpt_forced_exits") == fx0 + 1,
	      "MADV_DONTNEED on guest RAM takes the vCPU out of TPT before it runs again",
	      vm_stat(v.vcpu, "tpt_active"));
	check(r, host_pfn(page) != map_entry(&v, gfn),
	      "...the VMM's page there is no longer the pinned frame the guest's map names", 0);
	got = tvm_enter_only(&v, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-14 && vm_stat(v.vm, "tpt_broken") == 1,
	      "...and ENTER is refused from then on (-KVM_EFAULT, tpt_broken 1)", (long)got);
	got = tvm_hypercall64(&v, HC_TPT_ARM, PML4_GPA, TPT_ROOT_GPA);
	check(r, got == (uint64_t)-14, "...and so is ARM", (long)got);
	tvm_destroy(&v);
}

/*
 * A vCPU in a long ownership walk must hold up neither the VMM's memslot
 * ioctls nor the rest of the VM: while one thread runs ENTERs on the
 * self-referencing root of @v (each walk runs to its budget), the main
 * thread times memslot adds (refused with EBUSY after INIT, in the step
 * that once waited for the walk's lock). Their median must be far below
 * one walk: with the walk holding the VM-wide lock it is about half a walk.
 */
struct walker {
	struct tvm *t;
	int rounds;
	volatile int done;
	int refused;
	int accepted;
};

static void *walk_loop(void *arg)
{
	struct walker *w = arg;

	for (int i = 0; i < w->rounds; i++) {
		uint64_t got = tvm_enter_only(w->t, TPT_ROOT_GPA);

		w->refused += got == (uint64_t)-7;
		w->accepted += got == 0;
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Runs @w's walks on another thread and issues @m every millisecond while
 * they last; returns the number of ioctls, their times sorted in @lat and
 * in @busy how many failed with EBUSY. Prints them as @what.
 */
static int time_memslot_ioctls(struct tvm *v, struct walker *w, double one,
			       const struct kvm_userspace_memory_region *m, const char *what,
			       double *lat, int *busy)
{
	pthread_t th;
	double t0;
	int n = 0;

	*busy = 0;
	pthread_create(&th, NULL, walk_loop, w);
	while (!__atomic_load_n(&w->done, __ATOMIC_SEQ_CST) && n < 4096) {
		t0 = now_us();
		*busy += ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, m) && errno == EBUSY;
		lat[n++] = now_us() - t0;
		usleep(1000);
	}
	pthread_join(th, NULL);
	qsort(lat, (size_t)n, sizeof(lat[0]), cmp_double);
	printf("TPT-COST %s during %d walks of %.0f us: %d calls, median %.0f us, max %.0f us (emulated)\n",
	       what, w->rounds, one, n, n ? lat[n / 2] : 0, n ? lat[n - 1] : 0);
	return n;
}

static void test_walk_unlocked(struct result *r, struct tvm *v)
{
	struct kvm_userspace_memory_region extra = {
		.slot = 3, .guest_phys_addr = 1ULL << 32, .memory_size = 4096,
		.userspace_addr = (uint64_t)(uintptr_t)v->mem,
	};
	/* A delete of the RAM slot: refused too, after invalidating it. */
	const struct kvm_userspace_memory_region del = { .slot = 0 };
	struct walker w = { .t = v };
	double one, lat[4096], t0;
	int n, busy;

	t0 = now_us();
	tvm_enter_only(v, TPT_ROOT_GPA);
	one = now_us() - t0;
	/* About a second of walks, at least 4. */
	w.rounds = one > 250000 ? 4 : (int)(1e6 / one) + 4;
	n = time_memslot_ioctls(v, &w, one, &extra, "memslot ioctl", lat, &busy);
	check(r, w.refused == w.rounds && n >= 8 && busy == n,
	      "memslot ioctls during a vCPU's long walks: each refused with EBUSY, the walks still refused",
	      n);
	check(r, n >= 8 && lat[n / 2] < one / 8,
	      "...without waiting for the walk (median ioctl time under 1/8 of one walk)",
	      n ? (long)lat[n / 2] : -1);

	/*
	 * A delete first invalidates the slot and waits in synchronize_srcu()
	 * for the vCPUs inside SRCU: not for a walk (host patch 0028). Walks
	 * during it may see the slot invalid and be refused with -KVM_EAGAIN
	 * instead; none is accepted.
	 */
	w = (struct walker){ .t = v, .rounds = w.rounds };
	n = time_memslot_ioctls(v, &w, one, &del, "memslot delete", lat, &busy);
	check(r, w.accepted == 0 && n >= 8 && busy == n,
	      "memslot deletes during long walks: each refused with EBUSY, no walk accepted", n);
	check(r, n >= 8 && lat[n / 2] < one / 8,
	      "...without waiting for the walk in synchronize_srcu (median under 1/8 of one walk)",
	      n ? (long)lat[n / 2] : -1);
}

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
		/* Table pages (one per guest frame) + leaf frames (4 per guest frame + a 1G leaf). */
		const long bound = GUEST_FRAMES + 4L * GUEST_FRAMES + (1L << 18);
		long w0 = vm_stat(v.vm, "tpt_walk_work"), work;
		double t0 = now_us();

		got = tvm_enter_only(&v, TPT_ROOT_GPA);
		check(r, got == (uint64_t)-7, "a self-referencing table stops the walk at its budget (-KVM_E2BIG)",
		      (long)got);
		printf("TPT-COST refused self-referencing root after %.0f us (emulated)\n", now_us() - t0);
		work = vm_stat(v.vm, "tpt_walk_work") - w0;
		/* Without a leaf budget: 4096 tables of 512 leaves, over 2 million checks. */
		check(r, w0 >= 0 && work > GUEST_FRAMES && work <= bound,
		      "...after bounded work: tpt_walk_work counts tables and leaf frames, at most 5 per guest frame + 2^18",
		      work);
		printf("TPT-COST self-referencing root: walk work %ld (tables + leaf frames), bound %ld\n",
		       work, bound);
	}
	test_walk_unlocked(r, &v);
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
	uint64_t rip;		/* where it starts; 0: CODE_GPA */
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
	c->regs.rip = c->rip ? c->rip : CODE_GPA;
	c->regs.rflags = 2;
	c->ok = !ioctl(c->vcpu, KVM_SET_REGS, &c->regs) && !ioctl(c->vcpu, KVM_RUN, 0) &&
		c->run->exit_reason == KVM_EXIT_HLT && !ioctl(c->vcpu, KVM_GET_REGS, &c->regs);
	return NULL;
}

/*
 * A second vCPU (id 1) in @t's VM, in @c, with the first vCPU's long-mode
 * state, the host's PAT and the same CPUID. Exits on failure.
 */
static void tvm_add_vcpu(struct tvm *t, int kvm, struct race *c)
{
	size_t run_size = (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct tvm t1 = *t;
	struct kvm_sregs sregs;

	c->t = t;
	c->vcpu = ioctl(t->vm, KVM_CREATE_VCPU, 1);
	c->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->vcpu, 0);
	if (c->vcpu < 0 || c->run == MAP_FAILED || ioctl(t->vcpu, KVM_GET_SREGS, &sregs)) {
		perror("second vCPU");
		exit(2);
	}
	vcpu_set_host_pat(c->vcpu);
	t1.vcpu = c->vcpu;
	tvm_set_cpuid(&t1, kvm);
	if (ioctl(c->vcpu, KVM_SET_SREGS, &sregs)) {
		perror("KVM_SET_SREGS (second vCPU)");
		exit(2);
	}
}

static void tvm_drop_vcpu(int kvm, struct race *c)
{
	munmap(c->run, (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
	close(c->vcpu);
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
	 * backs them with 512 contiguous, aligned frames (THP, say). Read-only:
	 * they hold A's tables. */
	{
		bool contiguous = !(map_entry(&a, 0) & 511);
		long h1 = vm_stat(a.vm, "tpt_huge_refused");

		for (uint64_t i = 1; i < 512 && contiguous; i++)
			contiguous = map_entry(&a, i) == map_entry(&a, 0) + i;
		build_tpt_tables(&a);
		v = map_entry(&a, 0) << 12 | 0x80 | PTE_P;
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
	guest_code(a.mem + CODE_GPA, loop, sizeof(loop));
	{
		struct race c[2] = { { .t = &a, .vcpu = a.vcpu, .run = a.run } };
		struct flipper fl = {
			.entry = (uint64_t *)(a.mem + pt + 8 * ATTACK_GFN),
			.good = good, .bad = bframe << 12 | PTE_P_RW,
		};
		pthread_t th[3];

		tvm_add_vcpu(&a, kvm, &c[1]);
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
		tvm_drop_vcpu(kvm, &c[1]);
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

/*
 * Ways out of the 1-D mode (issue 14): hostile long-mode guests that leave
 * long mode, turn paging off, switch to legacy paging or SMM, or write
 * CR0/CR4/EFER while armed or in TPT, and a VMM that calls KVM_SET_SREGS
 * or turns dirty logging on. The evidence for "no raw host access" is a
 * page of this process outside guest RAM (the VMM page V) whose
 * host-physical address the test reads from /proc/self/pagemap: a guest
 * that reached host-physical addresses would read its seed and overwrite
 * it; on a sound KVM the same access is a guest-physical one (an MMIO exit
 * at GPA V, since V is not guest RAM). So that such a guest keeps running
 * after it loses paging, its code sits in an "identity" page: a memslot at
 * the GPA equal to the page's own host-physical address, mapped at that
 * linear address by the guest's own and by the 1-D tables.
 */
#define H_GDT_GPA	0x7000
#define H_STACK_GPA	0xf000
#define H_VMXON_GPA	0x9000		/* VMXON region named by KVM_SET_NESTED_STATE */
#define H_PD_GPA	0x6000		/* own PD for the identity page above 1 GiB */
#define H_PT1D_GPA	0x20000		/* 1-D PT (and PD) for the identity page */
#define H_LROOT_GPA	0x22000		/* 1-D root read as a 32-bit page directory */
#define H_LOWN_GPA	0x23000		/* own 32-bit page directory */
#define H_LARM_GPA	0x24000		/* its copy, the armed CR3 of the legacy attack */
#define H_SMM_GPA	0x38000		/* SMBASE 0x30000 + 0x8000 */
#define V_SEED		0x5eed5eedu
#define V_MARK		0xbad0bad0u

/* Guest programs (copied into the identity page, or to H_SMM_GPA). */
extern const uint8_t hg_pg_armed[], hg_pg_armed_end[], hg_pg_tpt[], hg_pg_tpt_end[];
extern const uint8_t hg_legacy[], hg_legacy_end[], hg_benign[], hg_benign_end[];
extern const uint8_t hg_svme[], hg_svme_end[], hg_outside[], hg_outside_end[];
extern const uint8_t hg_smm_main[], hg_smm_main_end[], hg_smm16[], hg_smm16_end[];
extern const uint8_t hg_refused[], hg_refused_end[];
__asm__(
"	.pushsection .rodata\n"
/* rbx = armed CR3, rcx = 1-D root, rsi = V: arm, leave long mode and
 * paging, then load the armed CR3 with paging off. */
"hg_pg_armed:\n"
"	.code64\n"
"	mov $0x5454, %eax\n"
"	vmmcall\n"
"	mov %rax, %r8\n"
"	mov %ebx, %ebp\n"
"	push $0x18\n"
"	lea 1f(%rip), %rax\n"
"	push %rax\n"
"	lretq\n"
"	.code32\n"
"1:	mov %cr0, %eax\n"
"	and $0x7fffffff, %eax\n"
"	mov %eax, %cr0\n"
"	mov %ebp, %cr3\n"
"	mov (%esi), %eax\n"
"	movl $0xbad0bad0, 8(%esi)\n"
"	hlt\n"
"	.code64\n"
"hg_pg_armed_end:\n"
/* Same registers: arm, enter TPT by the armed CR3 load, then turn paging
 * off while in TPT. */
"hg_pg_tpt:\n"
"	mov $0x5454, %eax\n"
"	vmmcall\n"
"	mov %rax, %r8\n"
"	mov %rbx, %cr3\n"
"	mov 0x400000, %r9\n"
"	push $0x18\n"
"	lea 1f(%rip), %rax\n"
"	push %rax\n"
"	lretq\n"
"	.code32\n"
"1:	mov %cr0, %eax\n"
"	and $0x7fffffff, %eax\n"
"	mov %eax, %cr0\n"
"	mov (%esi), %eax\n"
"	movl $0xbad0bad0, 8(%esi)\n"
"	hlt\n"
"	.code64\n"
"hg_pg_tpt_end:\n"
/* rbx = armed CR3 (a copy of the own 32-bit PD), rcx = a root that is a
 * clean 4-level table and, read as a 32-bit PD, maps the identity page
 * and V; rbp = own 32-bit PD, rsi = V's alias, rdi = the code's alias.
 * Arm, leave long mode, turn PAE off and 32-bit paging on, then load the
 * armed CR3. */
"hg_legacy:\n"
"	mov $0x5454, %eax\n"
"	vmmcall\n"
"	mov %rax, %r8\n"
"	push $0x18\n"
"	lea 1f(%rip), %rax\n"
"	push %rax\n"
"	lretq\n"
"	.code32\n"
"1:	mov %cr0, %eax\n"
"	and $0x7fffffff, %eax\n"
"	mov %eax, %cr0\n"
"	mov %cr4, %eax\n"
"	and $~0x20, %eax\n"
"	or $0x10, %eax\n"
"	mov %eax, %cr4\n"
"	mov $0xc0000080, %ecx\n"
"	rdmsr\n"
"	and $~0x100, %eax\n"
"	wrmsr\n"
"	mov %ebp, %cr3\n"
"	mov %cr0, %eax\n"
"	or $0x80000000, %eax\n"
"	mov %eax, %cr0\n"
"	lea (2f - hg_legacy)(%edi), %eax\n"
"	jmp *%eax\n"
"2:	mov %ebx, %cr3\n"
"	mov (%esi), %eax\n"
"	movl $0xbad0bad0, 8(%esi)\n"
"	hlt\n"
"	.code64\n"
"hg_legacy_end:\n"
/* rbx = armed CR3, rcx = root: writes that do not change how tables are
 * read (CR4.PGE, CR0 unchanged, EFER.NXE) leave TPT but keep the arm. */
"hg_benign:\n"
"	mov $0x5454, %eax\n"
"	vmmcall\n"
"	mov %rax, %r8\n"
"	mov %rbx, %cr3\n"
"	mov 0x400000, %r9\n"
"	mov %cr4, %rax\n"
"	or $0x80, %rax\n"
"	mov %rax, %cr4\n"
"	mov 0x400000, %r10\n"
"	mov %rbx, %cr3\n"
"	mov 0x400000, %r11\n"
"	mov %cr0, %rax\n"
"	mov %rax, %cr0\n"
"	mov 0x400000, %r12\n"
"	mov %rbx, %cr3\n"
"	mov 0x400000, %r13\n"
"	mov $0xc0000080, %ecx\n"
"	rdmsr\n"
"	or $0x800, %eax\n"
"	wrmsr\n"
"	mov 0x400000, %r14\n"
"	mov %rbx, %cr3\n"
"	mov 0x400000, %r15\n"
"	mov %cr3, %rax\n"
"	hlt\n"
"hg_benign_end:\n"
/* rbx = armed CR3, rcx = root, rsi = root, rdi = armed CR3: EFER.SVME set
 * in TPT leaves it and disarms; ENTER and ARM are refused while it is set. */
"hg_svme:\n"
"	mov $0x5454, %eax\n"
"	vmmcall\n"
"	mov %rax, %r8\n"
"	mov %rbx, %cr3\n"
"	mov 0x400000, %r9\n"
"	mov $0xc0000080, %ecx\n"
"	rdmsr\n"
"	or $0x1000, %eax\n"
"	wrmsr\n"
"	mov 0x400000, %r10\n"
"	mov %rdi, %cr3\n"
"	mov 0x400000, %r11\n"
"	mov %rsi, %rbx\n"
"	mov $0x5452, %eax\n"
"	vmmcall\n"
"	mov %rax, %r12\n"
"	mov 0x400000, %r13\n"
"	mov %rdi, %rbx\n"
"	mov %rsi, %rcx\n"
"	mov $0x5454, %eax\n"
"	vmmcall\n"
"	mov %rax, %r14\n"
"	hlt\n"
"hg_svme_end:\n"
/* rbx = armed CR3, rcx = root: arm, enter by the armed load, exit to the
 * VMM (port 0x80), which changes the vCPU's state from outside; then check
 * that the vCPU left TPT and is no longer armed, and try ENTER again. */
"hg_outside:\n"
"	mov $0x5454, %eax\n"
"	vmmcall\n"
"	mov %rax, %r8\n"
"	mov %rbx, %cr3\n"
"	mov 0x400000, %r9\n"
"	out %al, $0x80\n"
"	mov 0x400000, %r10\n"
"	mov %rbx, %cr3\n"
"	mov 0x400000, %r11\n"
"	movq $0x77, 0x700000\n"
"	mov %rcx, %rbx\n"
"	mov $0x5452, %eax\n"
"	vmmcall\n"
"	mov %rax, %r12\n"
"	mov 0x400000, %r13\n"
"	mov %cr3, %rax\n"
"	hlt\n"
"hg_outside_end:\n"
/* rbx = root, rsi = V: ENTER, exit to the VMM, which injects an SMI. */
"hg_smm_main:\n"
"	mov $0x5452, %eax\n"
"	vmmcall\n"
"	mov %rax, %r8\n"
"	mov 0x400000, %r9\n"
"	out %al, $0x80\n"
"	mov 0x400000, %r10\n"
"	hlt\n"
"hg_smm_main_end:\n"
/* The SMI handler, at SMBASE + 0x8000 (GPRs are those of the interrupted
 * code, so esi = V): touch V, leave a mark in ebx, halt. */
"hg_smm16:\n"
"	.code16\n"
"	movl (%esi), %eax\n"
"	movl $0xbad0bad0, 8(%esi)\n"
"	movl $0x5a5a5a5a, %ebx\n"
"	hlt\n"
"	.code64\n"
"hg_smm16_end:\n"
/* rbx = rcx = root, rbp = a CR3: with paging off, ENTER and ARM are
 * refused (results in edi and esi). */
"hg_refused:\n"
"	push $0x18\n"
"	lea 1f(%rip), %rax\n"
"	push %rax\n"
"	lretq\n"
"	.code32\n"
"1:	mov %cr0, %eax\n"
"	and $0x7fffffff, %eax\n"
"	mov %eax, %cr0\n"
"	mov $0x5452, %eax\n"
"	vmmcall\n"
"	mov %eax, %edi\n"
"	mov %ebp, %ebx\n"
"	mov $0x5454, %eax\n"
"	vmmcall\n"
"	mov %eax, %esi\n"
"	hlt\n"
"	.code64\n"
"hg_refused_end:\n"
"	.popsection\n");

struct hvm {
	struct tvm t;
	uint8_t *idpage, *vpage;	/* identity page (guest RAM), VMM page V */
	uint64_t h, v;			/* their host-physical addresses */
	unsigned long mmio, mmio_v;	/* MMIO exits, and those at V or V + 8 */
};

static void on_alarm(int sig)
{
	(void)sig;
}

/* A page of ours in host-physical [16 MiB, 4 GiB), locked; 0 if none. */
static uint8_t *low_page(uint64_t *hpa, uint64_t avoid)
{
	uint8_t *tried[64];
	uint8_t *got = NULL;
	int n = 0;

	while (!got && n < 64) {
		uint8_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t a;

		if (p == MAP_FAILED)
			break;
		memset(p, 0, 4096);
		mlock(p, 4096);
		a = host_pfn(p) << 12;
		if (a >= GUEST_MEM && a < (1ULL << 32) && a != avoid) {
			got = p;
			*hpa = a;
		} else {
			tried[n++] = p;
		}
	}
	while (n--)
		munmap(tried[n], 4096);
	return got;
}

static void put64(struct tvm *t, uint64_t gpa, uint64_t v)
{
	memcpy(t->mem + gpa, &v, 8);
}

/*
 * A verify-mode VM as tvm_ready() makes, plus the identity page at GPA h
 * (mapped at linear h by the guest's tables and by the 1-D tables), a GDT
 * with a 32-bit code segment (0x18), the armed CR3's copy of the PML4 at
 * ARM_CR3, and a seeded VMM page V. With @smm, the same memory is the SMM
 * address space too (SMM entry writes its state save area there). Returns
 * 0 on success.
 */
static int hvm_create_mode(struct hvm *hv, int kvm, bool smm, int mode)
{
	static const uint8_t init[] = {
		0xb8, 0x51, 0x54, 0, 0, 0xbb, 0, 0, 0x10, 0, 0xb9, 0, 0x80, 0, 0,
		0x0f, 0x01, 0xd9, 0xf4,
	};
	struct kvm_userspace_memory_region slot;
	struct tvm *t = &hv->t;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint64_t h;

	memset(hv, 0, sizeof(*hv));
	hv->idpage = low_page(&hv->h, 0);
	hv->vpage = low_page(&hv->v, hv->idpage ? hv->h : 0);
	if (!hv->idpage || !hv->vpage) {
		fprintf(stderr, "no page below 4 GiB for the identity/VMM page\n");
		return -1;
	}
	h = hv->h;
	for (int i = 0; i < 1024; i++)
		memcpy(hv->vpage + 4 * i, &(uint32_t){ V_SEED }, 4);
	tvm_create(t, kvm, mode);
	tvm_set_cpuid(t, kvm);
	memset(&slot, 0, sizeof(slot));
	slot.slot = 1;
	slot.guest_phys_addr = h;
	slot.memory_size = 4096;
	slot.userspace_addr = (uint64_t)(uintptr_t)hv->idpage;
	if (ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &slot)) {
		perror("identity memslot");
		return -1;
	}
	if (smm) {
		struct kvm_userspace_memory_region ram = {
			.slot = 1u << 16, .memory_size = GUEST_MEM,
			.userspace_addr = (uint64_t)(uintptr_t)t->mem,
		};

		slot.slot |= 1u << 16;
		if (ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &ram) ||
		    ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &slot)) {
			perror("SMM address space memslots");
			return -1;
		}
	}
	tvm_long_mode(t);
	/* GDT: null, 64-bit code, data, 32-bit code. */
	put64(t, H_GDT_GPA + 8, 0x00af9b000000ffffULL);
	put64(t, H_GDT_GPA + 16, 0x00cf93000000ffffULL);
	put64(t, H_GDT_GPA + 24, 0x00cf9b000000ffffULL);
	if (ioctl(t->vcpu, KVM_GET_SREGS, &sregs))
		return -1;
	sregs.gdt.base = H_GDT_GPA;
	sregs.gdt.limit = 31;
	if (ioctl(t->vcpu, KVM_SET_SREGS, &sregs))
		return -1;
	/* Own tables: linear h -> GPA h (2M leaf). */
	if (h >> 30) {
		put64(t, 0x3000 + 8 * (h >> 30), H_PD_GPA | PTE_P_RW);
		put64(t, H_PD_GPA + 8 * ((h >> 21) & 511), (h & ~0x1fffffULL) | 0x80 | PTE_P_RW);
	} else {
		put64(t, 0x4000 + 8 * (h >> 21), (h & ~0x1fffffULL) | 0x80 | PTE_P_RW);
	}
	if (tvm_run64(t, init, sizeof(init), &regs) || regs.rax != (h >> 12) + 1) {
		fprintf(stderr, "INIT with the identity slot failed (rax %llx)\n",
			(unsigned long long)regs.rax);
		return -1;
	}
	if (host_pfn(hv->idpage) != h >> 12) {
		fprintf(stderr, "the identity page moved when it was pinned\n");
		return -1;
	}
	build_tpt_tables(t);
	/* 1-D tables: linear h -> host frame h (the pinned identity page). */
	memset(t->mem + H_PT1D_GPA, 0, 2 * 4096);
	if (h >> 30) {
		put64(t, TPT_ROOT_GPA + 0x1000 + 8 * (h >> 30),
		      map_entry(t, (H_PT1D_GPA >> 12) + 1) << 12 | PTE_P_RW);
		put64(t, H_PT1D_GPA + 0x1000 + 8 * ((h >> 21) & 511),
		      map_entry(t, H_PT1D_GPA >> 12) << 12 | PTE_P_RW);
	} else {
		put64(t, TPT_ROOT_GPA + 0x2000 + 8 * (h >> 21),
		      map_entry(t, H_PT1D_GPA >> 12) << 12 | PTE_P_RW);
	}
	put64(t, H_PT1D_GPA + 8 * ((h >> 12) & 511), h | PTE_P_RW);
	memcpy(t->mem + ARM_CR3, t->mem + PML4_GPA, 4096);
	put64(t, 0x400000, 0xbbbb);
	put64(t, 0x600000, 0xaaaa);
	return 0;
}

/* The same in verify mode. */
static int hvm_create(struct hvm *hv, int kvm, bool smm)
{
	return hvm_create_mode(hv, kvm, smm, KVM_TPT_MODE_VERIFY);
}

static void hvm_destroy(struct hvm *hv)
{
	tvm_destroy(&hv->t);
	munmap(hv->idpage, 4096);
	munmap(hv->vpage, 4096);
}

/* V still holds only its seed. */
static bool v_intact(struct hvm *hv)
{
	for (int i = 0; i < 1024; i++) {
		uint32_t w;

		memcpy(&w, hv->vpage + 4 * i, 4);
		if (w != V_SEED)
			return false;
	}
	return true;
}

/*
 * Runs @code (copied to the start of the identity page) with @in's
 * registers until hlt; MMIO reads return 0 and are counted, a port exit
 * calls @at_port. Fills @out. 0 on hlt, -1 otherwise (also after 10 s).
 */
static int hvm_run(struct hvm *hv, const uint8_t *code, const uint8_t *end,
		   const struct kvm_regs *in, void (*at_port)(struct hvm *),
		   struct kvm_regs *out)
{
	struct kvm_run *run = hv->t.run;
	struct sigaction sa;
	struct kvm_regs regs = *in;
	int rc = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	guest_code(hv->idpage, code, (size_t)(end - code));
	regs.rip = hv->h;
	regs.rsp = H_STACK_GPA;
	regs.rflags = 2;
	if (ioctl(hv->t.vcpu, KVM_SET_REGS, &regs))
		return -1;
	alarm(10);
	for (;;) {
		if (ioctl(hv->t.vcpu, KVM_RUN, 0)) {
			fprintf(stderr, "KVM_RUN: %s\n", strerror(errno));
			break;
		}
		if (run->exit_reason == KVM_EXIT_HLT) {
			rc = 0;
			break;
		}
		if (run->exit_reason == KVM_EXIT_MMIO) {
			hv->mmio++;
			if ((run->mmio.phys_addr & ~15ULL) == hv->v)
				hv->mmio_v++;
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0, sizeof(run->mmio.data));
			continue;
		}
		if (run->exit_reason == KVM_EXIT_IO && at_port) {
			at_port(hv);
			continue;
		}
		fprintf(stderr, "hostile guest: exit reason %u\n", run->exit_reason);
		break;
	}
	alarm(0);
	if (ioctl(hv->t.vcpu, KVM_GET_REGS, out))
		rc = -1;
	return rc;
}

/* What every attack on paging must show afterwards. */
static void check_contained(struct result *r, struct hvm *hv, const struct kvm_regs *g,
			    const char *what)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "%s: the VMM page outside guest RAM is unchanged", what);
	check(r, v_intact(hv), msg, 0);
	snprintf(msg, sizeof(msg), "%s: the guest did not read the VMM page", what);
	check(r, (uint32_t)g->rax != V_SEED, msg, (long)(uint32_t)g->rax);
	snprintf(msg, sizeof(msg), "%s: its access was guest-physical (MMIO exits at V)", what);
	check(r, hv->mmio_v == 2, msg, (long)hv->mmio_v);
}

static long vstat(struct hvm *hv, const char *name)
{
	return vm_stat(hv->t.vcpu, name);
}

/* Arm, leave long mode and paging, load the armed CR3; and the same from TPT. */
static void test_paging_off(struct result *r, int kvm)
{
	struct kvm_regs in, g;
	struct kvm_sregs sregs;
	struct hvm hv;
	int ran;

	if (hvm_create(&hv, kvm, false)) {
		check(r, false, "hostile VM with an identity page set up", -1);
		return;
	}
	printf("INFO identity page at host-physical %#llx, VMM page at %#llx\n",
	       (unsigned long long)hv.h, (unsigned long long)hv.v);
	memset(&in, 0, sizeof(in));
	in.rbx = ARM_CR3;
	in.rcx = TPT_ROOT_GPA;
	in.rsi = hv.v;
	ran = hvm_run(&hv, hg_pg_armed, hg_pg_armed_end, &in, NULL, &g);
	check(r, ran == 0 && g.r8 == 0, "paging off, armed load: ARM in long mode succeeded, guest ran to hlt",
	      (long)g.r8);
	check_contained(r, &hv, &g, "paging off, armed load");
	check(r, vstat(&hv, "tpt_enters") == 0,
	      "paging off, armed load: the armed CR3 load did not enter TPT (tpt_enters 0)",
	      vstat(&hv, "tpt_enters"));
	check(r, vstat(&hv, "tpt_forced_disarms") == 1,
	      "paging off, armed load: clearing CR0.PG dropped the arm (tpt_forced_disarms 1)",
	      vstat(&hv, "tpt_forced_disarms"));
	ioctl(hv.t.vcpu, KVM_GET_SREGS, &sregs);
	check(r, !(sregs.cr0 & 0x80000000) && !(sregs.efer & 0x400) && sregs.cr3 == ARM_CR3,
	      "paging off, armed load: KVM_GET_SREGS shows paging off, LMA clear, CR3 loaded",
	      (long)sregs.cr0);
	hvm_destroy(&hv);

	if (hvm_create(&hv, kvm, false)) {
		check(r, false, "hostile VM with an identity page set up", -1);
		return;
	}
	in.rsi = hv.v;
	ran = hvm_run(&hv, hg_pg_tpt, hg_pg_tpt_end, &in, NULL, &g);
	check(r, ran == 0 && g.r8 == 0 && g.r9 == 0xaaaa,
	      "paging off in TPT: the armed load entered TPT (load via the 1-D table), guest ran to hlt",
	      (long)g.r9);
	check_contained(r, &hv, &g, "paging off in TPT");
	check(r, vstat(&hv, "tpt_enters") == 1 && vstat(&hv, "tpt_exits") == 1,
	      "paging off in TPT: the CR0 write ended TPT (tpt_enters 1, tpt_exits 1)",
	      vstat(&hv, "tpt_exits"));
	check(r, vstat(&hv, "tpt_forced_exits") == 1 && vstat(&hv, "tpt_forced_disarms") == 1,
	      "paging off in TPT: counted as a forced exit and a forced disarm",
	      vstat(&hv, "tpt_forced_exits"));
	hvm_destroy(&hv);

	if (hvm_create(&hv, kvm, false)) {
		check(r, false, "hostile VM with an identity page set up", -1);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.rbx = TPT_ROOT_GPA;
	in.rcx = TPT_ROOT_GPA;
	in.rbp = ARM_CR3;
	ran = hvm_run(&hv, hg_refused, hg_refused_end, &in, NULL, &g);
	check(r, ran == 0 && (uint32_t)g.rdi == (uint32_t)-22 && (uint32_t)g.rsi == (uint32_t)-22,
	      "paging off: ENTER and ARM are refused (-KVM_EINVAL)", (long)(int32_t)g.rdi);
	check(r, vstat(&hv, "tpt_mode_refusals") == 2 && vstat(&hv, "tpt_enters") == 0 &&
	      vstat(&hv, "tpt_arms") == 0, "paging off: tpt_mode_refusals counts both",
	      vstat(&hv, "tpt_mode_refusals"));
	hvm_destroy(&hv);
}

/*
 * Arm a root that is a clean 4-level table but, read as a 32-bit page
 * directory, maps the code and V (in its odd dwords, the high halves of
 * non-present 64-bit entries); then leave long mode, turn on 32-bit
 * paging and load the armed CR3.
 */
static void test_legacy_paging(struct result *r, int kvm)
{
	struct kvm_regs in, g;
	struct hvm hv;
	uint64_t h, v;
	uint32_t pde_code, pde_v, k, self;
	int ran;

	if (hvm_create(&hv, kvm, false)) {
		check(r, false, "hostile VM with an identity page set up", -1);
		return;
	}
	h = hv.h;
	v = hv.v;
	self = (uint32_t)(h >> 22);
	k = self == 3 ? 5 : 3;
	pde_code = (uint32_t)(h & ~0x3fffffULL) | 0x83;	/* 4M page, RW, P */
	pde_v = (uint32_t)(v & ~0x3fffffULL) | 0x83;
	memset(hv.t.mem + H_LROOT_GPA, 0, 3 * 4096);
	memcpy(hv.t.mem + H_LROOT_GPA + 4 * 1, &pde_code, 4);
	memcpy(hv.t.mem + H_LROOT_GPA + 4 * k, &pde_v, 4);
	memcpy(hv.t.mem + H_LOWN_GPA + 4 * self, &pde_code, 4);
	memcpy(hv.t.mem + H_LOWN_GPA + 4 * 1, &pde_code, 4);
	memcpy(hv.t.mem + H_LOWN_GPA + 4 * k, &pde_v, 4);
	memcpy(hv.t.mem + H_LARM_GPA, hv.t.mem + H_LOWN_GPA, 4096);
	memset(&in, 0, sizeof(in));
	in.rbx = H_LARM_GPA;
	in.rcx = H_LROOT_GPA;
	in.rbp = H_LOWN_GPA;
	in.rsi = (uint64_t)k << 22 | (v & 0x3fffff);
	in.rdi = 1u << 22 | (h & 0x3fffff);
	ran = hvm_run(&hv, hg_legacy, hg_legacy_end, &in, NULL, &g);
	check(r, ran == 0 && g.r8 == 0,
	      "legacy paging: ARM accepts the root (clean as a 4-level table), guest ran to hlt",
	      (long)g.r8);
	/* The MMIO exits come from the own copy's alias of V: same GPA V. */
	check_contained(r, &hv, &g, "legacy paging");
	check(r, vstat(&hv, "tpt_enters") == 0,
	      "legacy paging: the armed CR3 load under 32-bit paging did not enter TPT",
	      vstat(&hv, "tpt_enters"));
	check(r, vstat(&hv, "tpt_forced_disarms") == 1,
	      "legacy paging: leaving long mode dropped the arm", vstat(&hv, "tpt_forced_disarms"));
	hvm_destroy(&hv);
}

/*
 * CR4.PGE, an unchanged CR0 and EFER.NXE written in TPT: leave, keep the
 * arm. On VMX the first two do not exit (with EPT on, the guest owns
 * CR4.PGE; an unchanged CR0 matches the read shadow) and change nothing
 * KVM depends on: TPT stays.
 */
/*
 * Verify mode refuses a tree that maps one of its own table frames writable
 * (host patch 0026), and needs CR0.WP: else code running on the tree could
 * rewrite a checked entry to name any host frame. The attack below stores
 * through VA 0x400000 + 8 * 0x123, which the 1-D tree maps to its first
 * page table (gfn 0x13), the leaf for VA 0x123000, writing an entry that
 * names a host page outside guest RAM; it then reads VA 0x123000.
 */
#define WT_PT		(TPT_ROOT_GPA + 0x3000)		/* PT of gfns 0-511 */
#define WT_ALIAS	(WT_PT + 8 * 0x400)		/* the leaf for VA 0x400000 */
#define WT_TARGET	(WT_PT + 8 * 0x123)		/* the leaf the attack rewrites */
#define WT_MARK		0x5151515151515151ULL		/* at GPA 0x123000 */

/* Runs @code at CODE_GPA; returns the exit reason or -errno, fills @regs. */
static long tvm_run_exit(struct tvm *t, const uint8_t *code, size_t len, struct kvm_regs *regs)
{
	long got;

	guest_code(t->mem + CODE_GPA, code, len);
	memset(regs, 0, sizeof(*regs));
	regs->rip = CODE_GPA;
	regs->rflags = 2;
	if (ioctl(t->vcpu, KVM_SET_REGS, regs))
		return -errno;
	got = ioctl(t->vcpu, KVM_RUN, 0) ? -errno : (long)t->run->exit_reason;
	if (ioctl(t->vcpu, KVM_GET_REGS, regs))
		memset(regs, 0, sizeof(*regs));
	return got;
}

/* ENTER; [clear CR0.WP;] store @evil at VA WT_ALIAS's 0x123 entry; read VA 0x123000. */
static long wt_attack(struct tvm *t, uint64_t evil, bool clear_wp, struct kvm_regs *regs)
{
	uint8_t code[] = {
		0xb8, 0x52, 0x54, 0, 0,			/* mov $HC_TPT_ENTER, %eax */
		0xbb, 0x00, 0x00, 0x01, 0x00,		/* mov $TPT_ROOT_GPA, %ebx */
		0x0f, 0x01, 0xd9,			/* vmmcall */
		0x49, 0x89, 0xc0,			/* mov %rax, %r8 */
		0x0f, 0x20, 0xc0,			/* mov %cr0, %rax */
		0x48, 0x25, 0xff, 0xff, 0xfe, 0xff,	/* and $~CR0.WP, %rax */
		0x0f, 0x22, 0xc0,			/* mov %rax, %cr0 */
		0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,	/* movabs $evil, %rax */
		0x48, 0x89, 0x04, 0x25, 0x18, 0x09, 0x40, 0x00, /* mov %rax, 0x400918 */
		0x0f, 0x01, 0x3c, 0x25, 0, 0x30, 0x12, 0, /* invlpg 0x123000 */
		0x4c, 0x8b, 0x0c, 0x25, 0, 0x30, 0x12, 0, /* mov 0x123000, %r9 */
		0xb8, 0x53, 0x54, 0, 0,			/* mov $HC_TPT_EXIT, %eax */
		0x0f, 0x01, 0xd9,			/* vmmcall */
		0xf4,					/* hlt */
	};

	memcpy(code + 30, &evil, 8);
	if (!clear_wp)
		memset(code + 16, 0x90, 12);		/* nop out the CR0 write */
	return tvm_run_exit(t, code, sizeof(code), regs);
}

static void test_writable_tables(struct result *r, int kvm)
{
	static uint8_t foreign[4096] __attribute__((aligned(4096)));
	static uint8_t seen[4096];
	const uint64_t mark = WT_MARK;
	struct kvm_regs g;
	uint64_t e, target, evil, v;
	long w0, f0, x0, got;
	struct tvm t;

	memset(foreign, 0x01, sizeof(foreign));	/* a host page outside guest RAM */
	memcpy(seen, foreign, sizeof(seen));
	evil = host_pfn(foreign) << 12 | PTE_P_RW;

	/* A leaf that maps the tree's first page table writable. */
	tvm_ready(&t, kvm, KVM_TPT_MODE_VERIFY);
	memcpy(t.mem + 0x123000, &mark, 8);
	memcpy(&target, t.mem + WT_TARGET, 8);
	e = map_entry(&t, WT_PT >> 12) << 12 | PTE_P_RW;
	memcpy(t.mem + WT_ALIAS, &e, 8);
	w0 = vm_stat(t.vm, "tpt_writable_tables");
	f0 = refusals(&t);
	got = wt_attack(&t, evil, false, &g);
	check(r, got == KVM_EXIT_HLT && g.r8 == (uint64_t)-1,
	      "a tree with a writable leaf over its own table is refused (-KVM_EPERM)", (long)g.r8);
	check(r, vm_stat(t.vm, "tpt_writable_tables") - w0 == 1 && refusals(&t) == f0 &&
	      vm_stat(t.vcpu, "tpt_enters") == 0,
	      "...counted in tpt_writable_tables (not as an ownership failure), never entered",
	      vm_stat(t.vm, "tpt_writable_tables") - w0);
	memcpy(&e, t.mem + WT_TARGET, 8);
	memcpy(&v, t.mem + 0x400918, 8);
	check(r, e == target && v == evil,
	      "...the attack's store went through nested paging (to GPA 0x400918), the table is unchanged",
	      (long)e);
	check(r, g.r9 == WT_MARK && !memcmp(foreign, seen, sizeof(seen)),
	      "...VA 0x123000 still reads guest memory; the host page is unchanged", (long)g.r9);

	/* The same leaf writable under a read-only PD entry: read-only in effect. */
	build_tpt_tables(&t);
	e = map_entry(&t, WT_PT >> 12) << 12 | PTE_P_RW;
	memcpy(t.mem + WT_ALIAS, &e, 8);
	memcpy(&v, t.mem + TPT_ROOT_GPA + 0x2000 + 8 * 2, 8);
	v &= ~2ULL;
	memcpy(t.mem + TPT_ROOT_GPA + 0x2000 + 8 * 2, &v, 8);
	got = (long)tvm_enter_only(&t, TPT_ROOT_GPA);
	check(r, got == 0 && vm_stat(t.vm, "tpt_writable_tables") - w0 == 1,
	      "a writable leaf under a read-only entry over the table is accepted", got);

	/* The table mapped read-only: the store from TPT faults. */
	build_tpt_tables(&t);
	e = map_entry(&t, WT_PT >> 12) << 12 | PTE_P;
	memcpy(t.mem + WT_ALIAS, &e, 8);
	x0 = vm_stat(t.vcpu, "tpt_enters");
	got = wt_attack(&t, evil, false, &g);
	check(r, got == KVM_EXIT_SHUTDOWN && vm_stat(t.vcpu, "tpt_enters") - x0 == 1,
	      "a read-only leaf over the table is accepted; the store through it from TPT faults (shutdown)",
	      got);
	memcpy(&e, t.mem + WT_TARGET, 8);
	check(r, e == target && !memcmp(foreign, seen, sizeof(seen)),
	      "...the table and the host page are unchanged", (long)e);
	tvm_destroy(&t);

	/* CR0.WP: required at ENTER, and clearing it in TPT leaves TPT. */
	tvm_ready(&t, kvm, KVM_TPT_MODE_VERIFY);
	memcpy(t.mem + 0x123000, &mark, 8);
	e = map_entry(&t, WT_PT >> 12) << 12 | PTE_P;
	memcpy(t.mem + WT_ALIAS, &e, 8);
	{
		static const uint8_t nowp[] = {
			0x0f, 0x20, 0xc0,			/* mov %cr0, %rax */
			0x48, 0x25, 0xff, 0xff, 0xfe, 0xff,	/* and $~CR0.WP, %rax */
			0x0f, 0x22, 0xc0,			/* mov %rax, %cr0 */
			0xb8, 0x52, 0x54, 0, 0,			/* mov $HC_TPT_ENTER, %eax */
			0xbb, 0x00, 0x00, 0x01, 0x00,		/* mov $TPT_ROOT_GPA, %ebx */
			0x0f, 0x01, 0xd9,			/* vmmcall */
			0x49, 0x89, 0xc0,			/* mov %rax, %r8 */
			0x0f, 0x20, 0xc0,			/* mov %cr0, %rax */
			0x48, 0x0d, 0x00, 0x00, 0x01, 0x00,	/* or $CR0.WP, %rax */
			0x0f, 0x22, 0xc0,			/* mov %rax, %cr0 */
			0xf4,					/* hlt */
		};

		f0 = vm_stat(t.vcpu, "tpt_mode_refusals");
		got = tvm_run_exit(&t, nowp, sizeof(nowp), &g);
		check(r, got == KVM_EXIT_HLT && g.r8 == (uint64_t)-22 &&
		      vm_stat(t.vcpu, "tpt_mode_refusals") - f0 == 1,
		      "verify mode: ENTER with CR0.WP clear is refused (-KVM_EINVAL), counted", (long)g.r8);
	}
	memcpy(&target, t.mem + WT_TARGET, 8);
	x0 = vm_stat(t.vcpu, "tpt_forced_exits");
	got = wt_attack(&t, evil, true, &g);
	check(r, got == KVM_EXIT_HLT && g.r8 == 0,
	      "CR0.WP cleared in TPT (read-only leaf over the table): the guest ran to hlt", got);
	memcpy(&e, t.mem + WT_TARGET, 8);
	memcpy(&v, t.mem + 0x400918, 8);
	check(r, e == target && v == evil && vm_stat(t.vcpu, "tpt_forced_exits") - x0 == 1,
	      "...the CR0 write left TPT (forced exit) and the store went through nested paging",
	      (long)(e != target));
	check(r, g.r9 == WT_MARK && !memcmp(foreign, seen, sizeof(seen)),
	      "...VA 0x123000 still reads guest memory; the host page is unchanged", (long)g.r9);
	tvm_destroy(&t);

	/* Trust mode checks the root only (hardware tagging's model). */
	tvm_ready(&t, kvm, KVM_TPT_MODE_TRUST);
	e = map_entry(&t, WT_PT >> 12) << 12 | PTE_P_RW;
	memcpy(t.mem + WT_ALIAS, &e, 8);
	got = (long)tvm_enter_only(&t, TPT_ROOT_GPA);
	check(r, got == 0, "trust mode accepts the writable leaf over the table (root checked only)", got);
	tvm_destroy(&t);
}

/*
 * Writes to the tables of a checked tree after its check (docs/
 * tpt-security.md invariants 2 and 3; host patch 0031): verify mode
 * write-protects a checked tree's table pages in the 2-D view, a write to
 * one makes the tree stale, every vCPU on it leaves TPT before the write
 * lands, and a stale tree is walked again before it is used. The attacks
 * rewrite the checked leaf for VA 0x123000 (WT_TARGET) to name a host page
 * outside guest RAM, seeded by the test: after ARM and before the armed
 * CR3 load; from a second vCPU while the first runs on the tree; and
 * through KVM itself, with INIT writing its frame map over the leaf table.
 */
#define TW_DONE_GPA	0x700000	/* flags and the entry the guests store */
#define TW_READY_GPA	0x700008
#define TW_ENTRY_GPA	0x700010
#define TW_CODE1_GPA	0x1800		/* the second vCPU's code */
extern const uint8_t tg_rewrite_armed[], tg_rewrite_armed_end[];
extern const uint8_t tg_init_armed[], tg_init_armed_end[];
extern const uint8_t tg_live_reader[], tg_live_reader_end[];
extern const uint8_t tg_live_writer[], tg_live_writer_end[];
extern const uint8_t tg_cross_tree[], tg_cross_tree_end[];
extern const uint8_t tg_disarm_in_tpt[], tg_disarm_in_tpt_end[];
extern const uint8_t tg_unlink_table[], tg_unlink_table_end[];
extern const uint8_t tg_wallclock_armed[], tg_wallclock_armed_end[];
extern const uint8_t tg_steal_armed[], tg_steal_armed_end[];
extern const uint8_t tg_kvmclock_armed[], tg_kvmclock_armed_end[];
extern const uint8_t tg_dev_write[], tg_dev_write_end[];
#define UT_PD_ENTRY	(TPT_ROOT_GPA + 0x2000 + 8)	/* PD entry of VA 2M-4M */
#define UT_PT		(TPT_ROOT_GPA + 0x4000)		/* its page table */
#define XT_ROOT_GPA	0x24000		/* tree B: PML4, PDPT, PD, PT for VA 0-2M */
#define XT_ENTRY_GPA	0x1fe000

/*
 * Tree B maps VA 0-2M like A (its own tables read-only) and VA 0x1ff000
 * to A's first page table, writable.
 */
static void xt_build(struct tvm *t)
{
	uint64_t e;

	memset(t->mem + XT_ROOT_GPA, 0, 4 * 4096);
	for (int i = 0; i < 3; i++) {
		e = map_entry(t, (XT_ROOT_GPA >> 12) + 1 + i) << 12 | PTE_P_RW;
		memcpy(t->mem + XT_ROOT_GPA + 4096 * i, &e, 8);
	}
	for (uint64_t gfn = 0; gfn < 512; gfn++) {
		e = map_entry(t, gfn) << 12 | (tpt_table_gfn(gfn) ? PTE_P : PTE_P_RW);
		if (gfn == 0x1ff)
			e = map_entry(t, WT_PT >> 12) << 12 | PTE_P_RW;
		memcpy(t->mem + XT_ROOT_GPA + 3 * 4096 + 8 * gfn, &e, 8);
	}
}
__asm__(
"	.pushsection .rodata\n"
"	.code64\n"
"tg_rewrite_armed:\n"
"	tg_arm\n"			/* ARM ARM_CR3 on TPT_ROOT_GPA; RAX -> R8 */
"	mov 0x700010, %rax\n"		/* TW_ENTRY_GPA */
"	mov %rax, 0x13918\n"		/* WT_TARGET, through nested paging */
"	mov $0x5000, %eax\n"
"	mov %rax, %cr3\n"		/* the armed load */
"	mov 0x123000, %r9\n"
"	mov %cr3, %r10\n"		/* leaves TPT if in it */
"	hlt\n"
"tg_rewrite_armed_end:\n"
"tg_init_armed:\n"
"	tg_arm\n"			/* ARM ARM_CR3 on TPT_ROOT_GPA; RAX -> R8 */
"	mov $0x5451, %eax\n"		/* HC_TPT_INIT: the map over WT_PT */
"	mov $0x13000, %ebx\n"
"	mov $0x1000, %ecx\n"
"	xor %edx, %edx\n"
"	vmmcall\n"
"	mov %rax, %r11\n"
"	mov $0x5000, %eax\n"
"	mov %rax, %cr3\n"		/* the armed load */
"	mov 0x123000, %r9\n"
"	mov %cr3, %r10\n"
"	hlt\n"
"tg_init_armed_end:\n"
/*
 * Armed on tree A (TPT_ROOT_GPA), ENTER a tree B (XT_ROOT_GPA) whose leaf
 * for VA 0x1ff000 maps A's first page table writable, store the entry at
 * 0x1fe000 through it over A's leaf for VA 0x123000, EXIT, then load the
 * armed CR3 and read VA 0x123000.
 */
"tg_cross_tree:\n"
"	tg_arm\n"			/* ARM ARM_CR3 on TPT_ROOT_GPA; RAX -> R8 */
"	mov $0x5452, %eax\n"		/* HC_TPT_ENTER */
"	mov $0x24000, %ebx\n"		/* XT_ROOT_GPA */
"	vmmcall\n"
"	mov %rax, %r11\n"
"	mov 0x1fe000, %rax\n"		/* XT_ENTRY_GPA */
"	mov %rax, 0x1ff918\n"		/* in TPT on B: A's leaf for 0x123000 */
"	mov $0x5453, %eax\n"		/* HC_TPT_EXIT */
"	vmmcall\n"
"	mov $0x5000, %eax\n"
"	mov %rax, %cr3\n"		/* the armed load, on A */
"	mov 0x123000, %r9\n"
"	mov %cr3, %r10\n"
"	hlt\n"
"tg_cross_tree_end:\n"
/* Armed, in TPT on the armed root, disarm from TPT, read VA 0x400000. */
"tg_disarm_in_tpt:\n"
"	tg_arm\n"			/* ARM ARM_CR3 on TPT_ROOT_GPA; RAX -> R8 */
"	mov $0x5000, %eax\n"
"	mov %rax, %cr3\n"		/* the armed load: TPT */
"	mov 0x400000, %r9\n"
"	mov $0x5454, %eax\n"		/* ARM 0, 0: disarm */
"	xor %ebx, %ebx\n"
"	xor %ecx, %ecx\n"
"	vmmcall\n"
"	mov 0x400000, %r10\n"
"	hlt\n"
"tg_disarm_in_tpt_end:\n"
/*
 * Armed, unlink the page table of VA 2M-4M from the tree's PD through
 * nested paging (as a guest kernel does before it frees a table), load
 * the armed CR3, read VA 0x123000, leave, then store into the unlinked
 * table's page (the guest reusing it as data).
 */
"tg_unlink_table:\n"
"	tg_arm\n"			/* ARM ARM_CR3 on TPT_ROOT_GPA; RAX -> R8 */
"	movq $0, 0x12008\n"		/* UT_PD_ENTRY */
"	mov $0x5000, %eax\n"
"	mov %rax, %cr3\n"		/* the armed load */
"	mov 0x123000, %r9\n"
"	mov %cr3, %r10\n"		/* leaves TPT */
"	movq $1, 0x14000\n"		/* UT_PT, now data */
"	hlt\n"
"tg_unlink_table_end:\n"
/* vCPU 0: ENTER, say so, wait for vCPU 1's store, read VA 0x123000. */
"tg_live_reader:\n"
"	mov $0x5452, %eax\n"		/* HC_TPT_ENTER */
"	mov $0x10000, %ebx\n"
"	vmmcall\n"
"	mov %rax, %r8\n"
"	movq $1, 0x700008\n"		/* TW_READY_GPA */
"1:	xor %eax, %eax\n"
"	cpuid\n"			/* an exit per round: L1 may schedule */
"	mov 0x700000, %rax\n"		/* TW_DONE_GPA */
"	test %rax, %rax\n"
"	jz 1b\n"
"	invlpg 0x123000\n"
"	mov 0x123000, %r10\n"
"	mov $0x5453, %eax\n"		/* HC_TPT_EXIT */
"	vmmcall\n"
"	hlt\n"
"tg_live_reader_end:\n"
/* vCPU 1, on nested paging: once vCPU 0 is in TPT, rewrite the leaf. */
"tg_live_writer:\n"
"1:	xor %eax, %eax\n"
"	cpuid\n"
"	mov 0x700008, %rax\n"
"	test %rax, %rax\n"
"	jz 1b\n"
"	mov 0x700010, %rax\n"
"	mov %rax, 0x13918\n"		/* WT_TARGET */
"	movq $1, 0x700000\n"
"	hlt\n"
"tg_live_writer_end:\n"
/*
 * Armed, point KVM's wall clock MSR at the checked leaf for VA 0x123000
 * plus 4: KVM writes the version (its first word) over the entry's upper
 * half, through its own mapping of guest memory. Then the armed load.
 */
/* ARM, point MSR @msr at guest-physical @val, then the armed load. */
"	.macro tg_msr_armed msr, val\n"
"	tg_arm\n"			/* ARM ARM_CR3 on TPT_ROOT_GPA; RAX -> R8 */
"	mov $\\msr, %ecx\n"
"	mov $\\val, %eax\n"
"	xor %edx, %edx\n"
"	wrmsr\n"
"	mov $0x5000, %eax\n"
"	mov %rax, %cr3\n"		/* the armed load */
"	mov %cr3, %r10\n"
"	hlt\n"
"	.endm\n"
"tg_wallclock_armed:\n"
"	tg_msr_armed 0x4b564d00, 0x1391c\n"	/* MSR_KVM_WALL_CLOCK_NEW, WT_TARGET + 4 */
"tg_wallclock_armed_end:\n"
/*
 * Armed, point KVM's steal time at the leaves for VA 0x128000 on: KVM
 * adds the steal time to the first and writes its version into the next,
 * on the way back into the guest. Then the armed load.
 */
"tg_steal_armed:\n"
"	tg_msr_armed 0x4b564d03, 0x13941\n"	/* MSR_KVM_STEAL_TIME, WT_PT + 8 * 0x128, on */
"tg_steal_armed_end:\n"
/* The same with kvmclock (32 bytes: the leaves for VA 0x128000 on). */
"tg_kvmclock_armed:\n"
"	tg_msr_armed 0x4b564d01, 0x13941\n"	/* MSR_KVM_SYSTEM_TIME_NEW, WT_PT + 8 * 0x128, on */
"tg_kvmclock_armed_end:\n"
/* ARM, halt (the VMM's device write lands there), then the armed load. */
"tg_dev_write:\n"
"	tg_arm\n"			/* ARM ARM_CR3 on TPT_ROOT_GPA; RAX -> R8 */
"	hlt\n"
"	mov $0x5000, %eax\n"
"	mov %rax, %cr3\n"		/* the armed load, if armed */
"	mov 0x123000, %r9\n"
"	mov %cr3, %r10\n"
"	hlt\n"
"tg_dev_write_end:\n"
"	.popsection\n");

/*
 * A fresh verify-mode VM whose guest will store @entry, or with @own the
 * entry for its own guest frame @entry, into the checked leaf.
 */
static void tw_ready(struct tvm *t, int kvm, uint64_t entry, bool own)
{
	const uint64_t mark = WT_MARK;

	tvm_ready_armable(t, kvm, KVM_TPT_MODE_VERIFY);
	if (own)
		entry = map_entry(t, entry) << 12 | PTE_P_RW;
	memcpy(t->mem + 0x123000, &mark, 8);
	memcpy(t->mem + TW_ENTRY_GPA, &entry, 8);
}

/* Runs one of the programs above on vCPU 0. */
static int tw_run(struct tvm *t, const uint8_t *code, const uint8_t *end, struct kvm_regs *g)
{
	return tvm_run64(t, code, (size_t)(end - code), g);
}

static void test_tables_written(struct result *r, int kvm)
{
	static uint8_t foreign[4096] __attribute__((aligned(4096)));
	static uint8_t seen[4096];
	const uint64_t mark2 = 0x5252525252525252ULL;
	uint64_t evil, pde, e;
	struct kvm_regs g;
	struct tvm t;
	long got, arm_work;

	memset(foreign, 0x01, sizeof(foreign));	/* a host page outside guest RAM */
	memcpy(seen, foreign, sizeof(seen));
	evil = host_pfn(foreign) << 12 | PTE_P_RW;

	/* 1. After ARM, a store through nested paging into the checked leaf. */
	tw_ready(&t, kvm, evil, false);
	got = tw_run(&t, tg_rewrite_armed, tg_rewrite_armed_end, &g);
	check(r, got == 0 && g.r8 == 0, "rewrite after ARM: ARM returned 0, the guest ran to hlt",
	      got ? got : (long)g.r8);
	memcpy(&e, t.mem + WT_TARGET, 8);
	check(r, e == evil && vm_stat(t.vm, "tpt_table_writes") == 1,
	      "...the store into the checked leaf landed, once counted in tpt_table_writes",
	      vm_stat(t.vm, "tpt_table_writes"));
	check(r, vm_stat(t.vcpu, "tpt_rewalks") == 1 && vm_stat(t.vcpu, "tpt_enters") == 0 &&
	      vm_stat(t.vcpu, "tpt_armed") == 0 && refusals(&t) == 1,
	      "...the armed load walked the tree again, refused it (ownership) and dropped the arm",
	      vm_stat(t.vcpu, "tpt_enters"));
	check(r, g.r9 == WT_MARK && !memcmp(foreign, seen, sizeof(seen)),
	      "...VA 0x123000 read guest memory through nested paging; the host page is unchanged",
	      (long)g.r9);
	tvm_destroy(&t);

	/* The same with an entry the walk accepts: the armed load enters. */
	tw_ready(&t, kvm, 0, false);
	arm_work = tvm_hypercall64(&t, HC_TPT_ARM, ARM_CR3, TPT_ROOT_GPA) ? -1 :
		   vm_stat(t.vm, "tpt_walk_work");
	tvm_destroy(&t);
	tw_ready(&t, kvm, 0x124, true);
	memcpy(t.mem + 0x124000, &mark2, 8);
	got = tw_run(&t, tg_rewrite_armed, tg_rewrite_armed_end, &g);
	check(r, got == 0 && g.r9 == mark2 && g.r10 == ARM_CR3,
	      "a benign rewrite after ARM: the armed load entered on the new leaf (VA 0x123000 -> 0x124000)",
	      (long)g.r9);
	check(r, vm_stat(t.vm, "tpt_table_writes") == 1 && vm_stat(t.vcpu, "tpt_rewalks") == 1 &&
	      vm_stat(t.vcpu, "tpt_enters") == 1 && vm_stat(t.vcpu, "tpt_armed") == 1,
	      "...after one walk again (tpt_rewalks 1), still armed", vm_stat(t.vcpu, "tpt_rewalks"));
	got = vm_stat(t.vm, "tpt_walk_work") - arm_work;
	printf("INFO walk work: %ld for the ARM, %ld for the walk again\n", arm_work, got);
	check(r, arm_work > 0 && got > 0 && got * 4 < arm_work,
	      "...which read only the written table page (under a quarter of the ARM's walk work)", got);
	tvm_destroy(&t);

	/*
	 * A table unlinked after ARM leaves the tree at the armed load's walk
	 * again: it is no longer write-protected, so a store into it, the
	 * page now data, is no table write (no tracking fault, no kick).
	 */
	tw_ready(&t, kvm, 0, false);
	got = tw_run(&t, tg_unlink_table, tg_unlink_table_end, &g);
	memcpy(&e, t.mem + UT_PT, 8);
	memcpy(&pde, t.mem + UT_PD_ENTRY, 8);
	check(r, got == 0 && g.r8 == 0 && g.r9 == WT_MARK && g.r10 == ARM_CR3 && e == 1 && !pde,
	      "unlinked table: ARM returned 0, the armed load entered, the stores landed",
	      got ? got : (long)g.r9);
	check(r, vm_stat(t.vcpu, "tpt_rewalks") == 1 && vm_stat(t.vcpu, "tpt_enters") == 1 &&
	      vm_stat(t.vm, "tpt_table_writes") == 1,
	      "...one table write (the PD's), not two: the walk again dropped the unlinked table",
	      vm_stat(t.vm, "tpt_table_writes"));
	tvm_destroy(&t);

	/* A store from TPT on another tree of the same vCPU. */
	tw_ready(&t, kvm, evil, false);
	memcpy(t.mem + XT_ENTRY_GPA, &evil, 8);
	xt_build(&t);
	got = tw_run(&t, tg_cross_tree, tg_cross_tree_end, &g);
	memcpy(&e, t.mem + WT_TARGET, 8);
	check(r, got == 0 && g.r8 == 0 && g.r11 == (uint64_t)-1 &&
	      vm_stat(t.vm, "tpt_writable_tables") == 1,
	      "armed on tree A, ENTER on a tree B with a writable leaf over A's table is refused",
	      got ? got : (long)g.r11);
	check(r, e != evil && g.r9 == WT_MARK && g.r10 == ARM_CR3 &&
	      !memcmp(foreign, seen, sizeof(seen)),
	      "...A's leaf is unchanged, the armed load entered A and read guest memory",
	      (long)g.r9);
	tvm_destroy(&t);

	/*
	 * Disarming from TPT on the armed tree leaves TPT: a tree nobody may
	 * run on is skipped by other trees' checks, so nothing may run on it.
	 */
	tw_ready(&t, kvm, 0, false);
	got = tw_run(&t, tg_disarm_in_tpt, tg_disarm_in_tpt_end, &g);
	check(r, got == 0 && g.r8 == 0 && g.r9 == 0xaaaa && g.r10 == 0xbbbb &&
	      vm_stat(t.vcpu, "tpt_armed") == 0,
	      "ARM 0, 0 from TPT on the armed root disarms and leaves TPT (nested paging after it)",
	      (long)g.r10);
	tvm_destroy(&t);

	/* 2. KVM's own write: INIT's frame map written over the leaf table. */
	tw_ready(&t, kvm, 0, false);
	got = tw_run(&t, tg_init_armed, tg_init_armed_end, &g);
	check(r, got == 0 && g.r8 == 0 && g.r11 == GUEST_FRAMES,
	      "INIT over an armed tree's leaf table: ARM and INIT returned 0 and the frame count",
	      got ? got : (long)g.r11);
	check(r, vm_stat(t.vm, "tpt_table_writes") >= 1 && vm_stat(t.vcpu, "tpt_rewalks") == 1 &&
	      vm_stat(t.vcpu, "tpt_enters") == 0 && vm_stat(t.vcpu, "tpt_armed") == 0,
	      "...made the tree stale; the armed load walked it again and refused it",
	      vm_stat(t.vcpu, "tpt_enters"));
	check(r, g.r9 == WT_MARK, "...VA 0x123000 read guest memory through nested paging",
	      (long)g.r9);
	tvm_destroy(&t);

	/*
	 * KVM's own writes through its mapping of guest memory (no tracking
	 * fault): the wall clock's version over the upper half of the checked
	 * leaf moves it 8 GiB up, to a frame the VM does not own.
	 */
	tw_ready(&t, kvm, 0, false);
	memcpy(&pde, t.mem + WT_TARGET, 8);
	got = tw_run(&t, tg_wallclock_armed, tg_wallclock_armed_end, &g);
	memcpy(&e, t.mem + WT_TARGET, 8);
	check(r, got == 0 && g.r8 == 0 && (uint32_t)e == (uint32_t)pde &&
	      e >> 32 == (pde >> 32) + 2 + (pde >> 32 & 1),
	      "wall clock into an armed tree's leaf: ARM returned 0, KVM wrote its version over the entry's upper half",
	      got ? got : (long)(e >> 32));
	check(r, vm_stat(t.vm, "tpt_table_writes") == 1 && vm_stat(t.vcpu, "tpt_rewalks") == 1 &&
	      vm_stat(t.vcpu, "tpt_enters") == 0 && vm_stat(t.vcpu, "tpt_armed") == 0 &&
	      refusals(&t) == 1,
	      "...made the tree stale; the armed load walked it again and refused it (ownership)",
	      vm_stat(t.vcpu, "tpt_enters"));
	tvm_destroy(&t);

	/* Steal time, written by KVM on the way into the guest. */
	tw_ready(&t, kvm, 0, false);
	got = tw_run(&t, tg_steal_armed, tg_steal_armed_end, &g);
	check(r, got == 0 && g.r8 == 0 && vm_stat(t.vm, "tpt_table_writes") >= 1 &&
	      vm_stat(t.vcpu, "tpt_rewalks") == 1,
	      "steal time into an armed tree's leaves: a table write, the armed load walked the tree again",
	      got ? got : vm_stat(t.vcpu, "tpt_rewalks"));
	tvm_destroy(&t);

	/*
	 * kvmclock, written under its cache's lock: checked before it is
	 * taken (host patch 0045), so the clock is not lost; 0035-0044
	 * skipped every update into a write-protected page.
	 */
	tw_ready(&t, kvm, 0, false);
	got = tw_run(&t, tg_kvmclock_armed, tg_kvmclock_armed_end, &g);
	{
		uint32_t version;

		memcpy(&version, t.mem + WT_PT + 8 * 0x128, 4);
		check(r, got == 0 && g.r8 == 0 && version != 0 && !(version & 1),
		      "kvmclock into an armed tree's leaves: KVM wrote it (version even, not 0)",
		      got ? got : (long)version);
	}
	check(r, vm_stat(t.vm, "tpt_table_writes") >= 1 && vm_stat(t.vcpu, "tpt_rewalks") == 1,
	      "...a table write, and the armed load walked the tree again",
	      vm_stat(t.vcpu, "tpt_rewalks"));
	tvm_destroy(&t);

	/* 3. A second vCPU rewrites the leaf while vCPU 0 runs on the tree. */
	tw_ready(&t, kvm, evil, false);
	guest_code(t.mem + CODE_GPA, tg_live_reader,
		   (size_t)(tg_live_reader_end - tg_live_reader));
	guest_code(t.mem + TW_CODE1_GPA, tg_live_writer,
		   (size_t)(tg_live_writer_end - tg_live_writer));
	{
		struct race c[2] = { { .t = &t, .vcpu = t.vcpu, .run = t.run } };
		pthread_t th[2];

		tvm_add_vcpu(&t, kvm, &c[1]);
		c[1].rip = TW_CODE1_GPA;
		pthread_create(&th[0], NULL, race_vcpu, &c[0]);
		pthread_create(&th[1], NULL, race_vcpu, &c[1]);
		pthread_join(th[0], NULL);
		pthread_join(th[1], NULL);
		check(r, c[0].ok && c[1].ok && c[0].regs.r8 == 0,
		      "live rewrite: vCPU 0 entered TPT, both vCPUs ran to hlt",
		      c[0].ok + c[1].ok);
		memcpy(&e, t.mem + WT_TARGET, 8);
		check(r, e == evil && vm_stat(t.vm, "tpt_table_writes") == 1 &&
		      vm_stat(t.vcpu, "tpt_forced_exits") == 1,
		      "...vCPU 1's store landed after KVM took vCPU 0 out of TPT (one forced exit)",
		      vm_stat(t.vcpu, "tpt_forced_exits"));
		check(r, c[0].regs.r10 == WT_MARK && !memcmp(foreign, seen, sizeof(seen)),
		      "...vCPU 0 then read VA 0x123000 through nested paging; the host page is unchanged",
		      (long)c[0].regs.r10);
		tvm_drop_vcpu(kvm, &c[1]);
	}
	tvm_destroy(&t);
}

/*
 * A checked table page alone in its 2M range, written between walks (as
 * the guest kernel writes the parent of the tables it fills and unlinks,
 * once per fault): eight rounds of a rewrite of the leaf of VA 0x123000,
 * now in a page table at HR_PT, the armed load (which walks the tree
 * again and protects the page) and a CR3 read (out of TPT); then, if the
 * byte at HR_FLAG is set, a store to HR_OTHER, in the same 2M range.
 */
#define HR_PT		0x600000
#define HR_FLAG		0x7fe000
#define HR_OTHER	0x7ff000
extern const uint8_t tg_huge_rewalk[], tg_huge_rewalk_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code64\n"
"tg_huge_rewalk:\n"
"	tg_arm\n"			/* ARM ARM_CR3 on TPT_ROOT_GPA; RAX -> R8 */
"	mov $8, %r12d\n"
"1:	mov 0x600918, %rax\n"		/* HR_PT's leaf of VA 0x123000 */
"	mov %rax, 0x600918\n"		/* the same entry again */
"	mov $0x5000, %eax\n"
"	mov %rax, %cr3\n"		/* the armed load */
"	mov %cr3, %r10\n"		/* out of TPT */
"	cmpb $0, 0x7fe000\n"		/* HR_FLAG */
"	je 2f\n"
"	incq 0x7ff000\n"		/* HR_OTHER */
"2:	dec %r12d\n"
"	jnz 1b\n"
"	hlt\n"
"tg_huge_rewalk_end:\n"
"	.popsection\n");

/* AnonHugePages of this process in kB, -1 if unreadable. */
static long anon_huge_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * One run of tg_huge_rewalk in a fresh verify-mode VM whose RAM may be
 * mapped with 2M pages; the vCPU's page faults in @faults, the 2M range's
 * huge backing (kB of AnonHugePages gained) in @huge_kb. 0 on success.
 */
static int huge_rewalk_run(int kvm, bool store, long *faults, long *huge_kb)
{
	long before = anon_huge_kb();
	struct kvm_regs g;
	struct tvm t;
	uint64_t e;
	int rc;

	tvm_create_mem(&t, kvm, KVM_TPT_MODE_VERIFY, GUEST_MEM, true);
	*huge_kb = anon_huge_kb() - before;
	if (tvm_init64(&t, kvm) != GUEST_FRAMES) {
		fprintf(stderr, "INIT failed\n");
		exit(2);
	}
	build_tpt_tables(&t);
	memcpy(t.mem + ARM_CR3, t.mem + PML4_GPA, 4096);
	/* VA 0-2M's page table moves to HR_PT, which no leaf maps writable. */
	memcpy(t.mem + HR_PT, t.mem + WT_PT, 4096);
	e = map_entry(&t, HR_PT >> 12) << 12 | PTE_P_RW;
	memcpy(t.mem + TPT_ROOT_GPA + 0x2000, &e, 8);
	e = map_entry(&t, HR_PT >> 12) << 12 | PTE_P;
	memcpy(t.mem + WT_PT + 8 * (HR_PT >> 12), &e, 8);
	memcpy(t.mem + WT_PT + 8 * 0x400, &e, 8);
	t.mem[HR_FLAG] = store;
	rc = tw_run(&t, tg_huge_rewalk, tg_huge_rewalk_end, &g);
	if (!rc && (g.r8 || vm_stat(t.vcpu, "tpt_rewalks") != 8 ||
		    vm_stat(t.vcpu, "tpt_enters") != 8)) {
		fprintf(stderr, "huge rewalk: ARM %lld, %ld rewalks, %ld enters\n",
			(long long)g.r8, vm_stat(t.vcpu, "tpt_rewalks"),
			vm_stat(t.vcpu, "tpt_enters"));
		rc = -1;
	}
	*faults = vm_stat(t.vcpu, "pf_taken");
	tvm_destroy(&t);
	return rc;
}

static void test_huge_rewalk(struct result *r, int kvm)
{
	long with, without, huge_with, huge_without;
	int a = huge_rewalk_run(kvm, true, &with, &huge_with);
	int b = huge_rewalk_run(kvm, false, &without, &huge_without);

	check(r, !a && !b, "huge range: 8 rewrites of a table page alone in its 2M range, each walked again and entered",
	      a ? a : b);
	if (huge_with < 2048 || huge_without < 2048) {
		printf("INFO huge range: not shown, no transparent huge page backs guest RAM (%ld, %ld kB)\n",
		       huge_with, huge_without);
		return;
	}
	/* One fault maps HR_OTHER; without the fix, one more per round. */
	check(r, without > 0 && with - without <= 2,
	      "...stores to another page of that range take no fault per walk (page faults with them minus without)",
	      with - without);
	printf("INFO huge range: %ld page faults with the stores, %ld without\n", with, without);
}

/* KVM_TPT_DEVICE_WRITE BEGIN (@id 0) or END; -errno or 0. */
static int dev_write(int vm, uint64_t gpa, uint64_t len, uint32_t flags, uint32_t *id)
{
	struct kvm_tpt_device_write dw = {
		.gpa = gpa, .len = len, .flags = flags, .id = *id,
	};

	if (ioctl(vm, KVM_TPT_DEVICE_WRITE, &dw))
		return -errno;
	*id = dw.id;
	return 0;
}

/*
 * The VMM's device writes through its own mapping of guest memory (host
 * patch 0037): announced with KVM_TPT_DEVICE_WRITE, one into a checked
 * table is refused; one in flight while the guest's walk reads the table
 * makes the tree walked again before it is used.
 */
static void test_device_writes(struct result *r, int kvm)
{
	static uint8_t foreign[4096] __attribute__((aligned(4096)));
	static uint8_t seen[4096];
	uint64_t evil;
	struct kvm_regs g;
	uint32_t id = 0, id2 = 0;
	struct tvm t;
	int got;

	memset(foreign, 0x01, sizeof(foreign));	/* a host page outside guest RAM */
	memcpy(seen, foreign, sizeof(seen));
	evil = host_pfn(foreign) << 12 | PTE_P_RW;

	/* Armed: a device write into the checked leaf table is refused. */
	tw_ready(&t, kvm, 0, false);
	got = (int)tvm_hypercall64(&t, HC_TPT_ARM, ARM_CR3, TPT_ROOT_GPA);
	check(r, got == 0, "device writes: ARM returned 0", got);
	got = dev_write(t.vm, WT_PT + 0x100, 64, KVM_TPT_DW_BEGIN, &id);
	check(r, got == -EPERM && vm_stat(t.vm, "tpt_device_writes_refused") == 1,
	      "...a device write into a checked table is refused (-EPERM), counted", got);
	id = 0;
	got = dev_write(t.vm, 0x124000, 8192, KVM_TPT_DW_BEGIN, &id);
	check(r, got == 0 && id > 0, "...one into data pages is announced (an id)", got ? got : (int)id);
	got = dev_write(t.vm, 0, 0, KVM_TPT_DW_END, &id);
	id2 = id;
	check(r, got == 0 && dev_write(t.vm, 0, 0, KVM_TPT_DW_END, &id2) == -ENOENT,
	      "...and ended once (a second END: -ENOENT)", got);
	id = 0;
	check(r, dev_write(t.vm, 0x124000, 4097 * 4096ULL, KVM_TPT_DW_BEGIN, &id) == -EINVAL &&
	      dev_write(t.vm, 0x124000, 0, KVM_TPT_DW_BEGIN, &id) == -EINVAL &&
	      dev_write(t.vm, 0x124000, 8, 3, &id) == -EINVAL,
	      "...bad lengths and flags are refused (-EINVAL)", 0);
	tvm_destroy(&t);

	/*
	 * A tree nothing may run on any more (ENTER, then EXIT) keeps its
	 * pages protected until its next walk; a page of it the guest may
	 * have freed and reused is written as a vCPU's store would be.
	 */
	tw_ready(&t, kvm, 0, false);
	got = (int)tvm_enter_only(&t, TPT_ROOT_GPA);
	id = 0;
	check(r, got == 0 && dev_write(t.vm, WT_PT, 4096, KVM_TPT_DW_BEGIN, &id) == 0 && id > 0 &&
	      vm_stat(t.vm, "tpt_device_writes_refused") == 0,
	      "device write into a table of a tree left (ENTER, EXIT): accepted, not refused",
	      got);
	dev_write(t.vm, 0, 0, KVM_TPT_DW_END, &id);
	got = (int)tvm_enter_only(&t, TPT_ROOT_GPA);
	check(r, got == 0, "...and ENTER walks the tree again afterwards", got);
	tvm_destroy(&t);

	/*
	 * Announced before the ARM, over the table its walk reads: the walk
	 * cannot finish while the device may still write (-KVM_EAGAIN, no
	 * arm). The device's write then lands and ends; the guest loads the
	 * CR3 it tried to arm. On a KVM that does not see device writes the
	 * ARM succeeds and that load enters TPT on the device's entry.
	 */
	tw_ready(&t, kvm, 0, false);
	id = 0;
	got = dev_write(t.vm, WT_PT, 4096, KVM_TPT_DW_BEGIN, &id);
	check(r, got == 0, "device write in flight over the ARM's walk: announced", got);
	got = tw_run(&t, tg_dev_write, tg_dev_write_end, &g);
	check(r, got == 0 && g.r8 == (uint64_t)-11 && vm_stat(t.vcpu, "tpt_armed") == 0,
	      "...the ARM returned -KVM_EAGAIN and armed nothing", got ? got : (long)g.r8);
	memcpy(t.mem + WT_TARGET, &evil, 8);	/* the device's write lands */
	dev_write(t.vm, 0, 0, KVM_TPT_DW_END, &id);
	if (ioctl(t.vcpu, KVM_RUN, 0) || t.run->exit_reason != KVM_EXIT_HLT ||
	    ioctl(t.vcpu, KVM_GET_REGS, &g))
		g.r9 = 0;
	check(r, vm_stat(t.vcpu, "tpt_enters") == 0 && g.r9 == WT_MARK &&
	      !memcmp(foreign, seen, sizeof(seen)),
	      "...the CR3 load stayed on nested paging: VA 0x123000 read guest memory, the host page unread and unchanged",
	      (long)g.r9);
	got = (int)tvm_hypercall64(&t, HC_TPT_ARM, ARM_CR3, TPT_ROOT_GPA);
	check(r, got == -1 && refusals(&t) >= 1,
	      "...an ARM after the write ended walks the device's entry and refuses it (ownership)", got);
	tvm_destroy(&t);

	/*
	 * A BEGIN whose answer KVM cannot write back (the VMM passed a
	 * read-only struct) fails with EFAULT, and the VMM never learns the
	 * id: KVM must end that announcement itself, else it stays open
	 * and every walk over the range retries for the VM's life.
	 */
	tw_ready(&t, kvm, 0, false);
	{
		struct kvm_tpt_device_write *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
						       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (ro == MAP_FAILED) {
			check(r, false, "device write with a read-only answer: mmap", -errno);
		} else {
			*ro = (struct kvm_tpt_device_write){
				.gpa = WT_PT, .len = 4096, .flags = KVM_TPT_DW_BEGIN,
			};
			mprotect(ro, 4096, PROT_READ);
			got = ioctl(t.vm, KVM_TPT_DEVICE_WRITE, ro) ? -errno : 0;
			check(r, got == -EFAULT,
			      "device write whose id cannot be written back: BEGIN fails (-EFAULT)", got);
			got = (int)tvm_hypercall64(&t, HC_TPT_ARM, ARM_CR3, TPT_ROOT_GPA);
			check(r, got == 0,
			      "...and leaves nothing open: an ARM walking that table returns 0, not -KVM_EAGAIN",
			      got);
			munmap(ro, 4096);
		}
	}
	tvm_destroy(&t);
}

#define EFER_SVME_BIT	(1ULL << 12)

/* KVM_SET_MSRS of EFER = @efer (host-initiated); MSRs set, or -errno. */
static int vmm_set_efer(int vcpu, uint64_t efer)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m;
	int got;

	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.e.index = 0xc0000080;	/* MSR_EFER */
	m.e.data = efer;
	got = ioctl(vcpu, KVM_SET_MSRS, &m);
	return got < 0 ? -errno : got;
}

static void test_benign_writes(struct result *r, int kvm)
{
	const bool vmx = hypercall_modrm == 0xc1;
	const uint64_t after = vmx ? 0xaaaa : 0xbbbb;
	struct kvm_regs in, g;
	struct hvm hv;
	int ran;

	if (hvm_create(&hv, kvm, false)) {
		check(r, false, "hostile VM with an identity page set up", -1);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.rbx = ARM_CR3;
	in.rcx = TPT_ROOT_GPA;
	ran = hvm_run(&hv, hg_benign, hg_benign_end, &in, NULL, &g);
	check(r, ran == 0 && g.r8 == 0 && g.r9 == 0xaaaa, "CR writes in TPT: armed load entered TPT",
	      (long)g.r9);
	check(r, g.r10 == after, vmx ? "a CR4 write (PGE) in TPT does not exit on VMX: TPT stays" :
	      "a CR4 write (PGE) in TPT leaves TPT first", (long)g.r10);
	check(r, g.r11 == 0xaaaa, "...and keeps the arm (the next armed load enters)", (long)g.r11);
	check(r, g.r12 == after, vmx ? "a CR0 write of the same value does not exit on VMX: TPT stays" :
	      "a CR0 write of the same value in TPT leaves TPT", (long)g.r12);
	check(r, g.r13 == 0xaaaa, "...and keeps the arm", (long)g.r13);
	check(r, g.r14 == 0xbbbb, "an EFER write (NXE) in TPT leaves TPT", (long)g.r14);
	check(r, g.r15 == 0xaaaa, "...and keeps the arm", (long)g.r15);
	check(r, vstat(&hv, "tpt_forced_exits") == (vmx ? 1 : 3) &&
	      vstat(&hv, "tpt_forced_disarms") == 0,
	      "tpt_forced_exits counts the writes that exit, tpt_forced_disarms none",
	      vstat(&hv, "tpt_forced_exits"));
	hvm_destroy(&hv);
}

static bool vcpu_has_svm(struct tvm *t)
{
	const unsigned int n = 256;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	bool svm = false;

	if (!c)
		return false;
	c->nent = n;
	if (ioctl(t->vcpu, KVM_GET_CPUID2, c) == 0)
		for (unsigned int i = 0; i < c->nent; i++)
			if (c->entries[i].function == 0x80000001)
				svm = c->entries[i].ecx & (1u << 2);
	free(c);
	return svm;
}

/*
 * Verify mode offers neither nested virtualization nor Xen emulation
 * (host patch 0036): KVM keeps mappings of guest pages for both that it
 * writes without checking them against the guest's tables (VMSAVE,
 * vmcb12/vmcs12, virtual-APIC pages; Xen's shared pages). Trust mode
 * keeps both.
 */
static void test_nested_xen(struct result *r, int kvm)
{
	struct kvm_xen_hvm_config xhc;
	struct kvm_xen_hvm_attr xha;
	struct kvm_cpuid2 *c = supported_cpuid(kvm, true);
	bool nested = false, svm = false;
	struct tvm t;
	int vm, got;

	for (unsigned int i = 0; i < c->nent; i++) {
		svm |= c->entries[i].function == 0x80000001 &&
		       (c->entries[i].ecx & CPUID_80000001_ECX_SVM);
		nested |= svm || (c->entries[i].function == 1 && (c->entries[i].ecx & CPUID_1_ECX_VMX));
	}
	if (!nested) {
		printf("SKIP nested CPUID in verify mode: KVM offers no nested VMX or SVM here\n");
	} else {
		tvm_create(&t, kvm, KVM_TPT_MODE_VERIFY);
		got = ioctl(t.vcpu, KVM_SET_CPUID2, c);
		check(r, got == -1 && errno == EINVAL,
		      "verify mode: KVM_SET_CPUID2 with VMX or SVM is refused (EINVAL)", got ? errno : 0);
		tvm_destroy(&t);
		tvm_create(&t, kvm, KVM_TPT_MODE_TRUST);
		got = ioctl(t.vcpu, KVM_SET_CPUID2, c);
		check(r, got == 0, "trust mode: KVM_SET_CPUID2 with VMX or SVM is accepted",
		      got ? errno : 0);
		tvm_destroy(&t);
	}
	free(c);

	/*
	 * KVM_SET_MSRS skips the CPUID check of EFER bits: the VMM could
	 * still set EFER.SVME, and the guest's VMSAVE would write any page
	 * (host patch 0039).
	 */
	if (!svm) {
		printf("SKIP EFER.SVME from the VMM in verify mode: KVM offers no nested SVM here\n");
	} else {
		tvm_create(&t, kvm, KVM_TPT_MODE_VERIFY);
		got = vmm_set_efer(t.vcpu, EFER_SVME_BIT);
		check(r, got == 0, "verify mode: KVM_SET_MSRS of EFER.SVME is refused (0 MSRs set)", got);
		tvm_destroy(&t);
		tvm_create(&t, kvm, KVM_TPT_MODE_TRUST);
		got = vmm_set_efer(t.vcpu, EFER_SVME_BIT);
		check(r, got == 1, "trust mode: KVM_SET_MSRS of EFER.SVME is accepted", got);
		tvm_destroy(&t);
	}

	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XEN_HVM) <= 0) {
		printf("SKIP Xen emulation in verify mode: KVM offers no Xen HVM here\n");
		return;
	}
	memset(&xhc, 0, sizeof(xhc));
	memset(&xha, 0, sizeof(xha));
	xha.type = KVM_XEN_ATTR_TYPE_LONG_MODE;
	xha.u.long_mode = 1;
	vm = new_vm(kvm);
	got = enable(vm, KVM_TPT_MODE_VERIFY, 0, 0);
	check(r, got == 0 && ioctl(vm, KVM_XEN_HVM_CONFIG, &xhc) == -1 && errno == EINVAL &&
	      ioctl(vm, KVM_XEN_HVM_SET_ATTR, &xha) == -1 && errno == EINVAL,
	      "verify mode: KVM_XEN_HVM_CONFIG and KVM_XEN_HVM_SET_ATTR are refused (EINVAL)", errno);
	close(vm);
	vm = new_vm(kvm);
	got = ioctl(vm, KVM_XEN_HVM_SET_ATTR, &xha) ? -errno : enable(vm, KVM_TPT_MODE_VERIFY, 0, 0);
	check(r, got == -EINVAL, "a VM with Xen set up cannot enable verify mode (EINVAL)", got);
	close(vm);
	vm = new_vm(kvm);
	got = enable(vm, KVM_TPT_MODE_TRUST, 0, 0);
	check(r, got == 0 && ioctl(vm, KVM_XEN_HVM_CONFIG, &xhc) == 0 &&
	      ioctl(vm, KVM_XEN_HVM_SET_ATTR, &xha) == 0,
	      "trust mode: Xen setup is accepted", errno);
	close(vm);
}

/*
 * EFER.SVME set in TPT leaves and disarms; ENTER and ARM refused after.
 * In trust mode: verify mode offers no SVM (host patch 0036).
 */
static void test_svme(struct result *r, int kvm)
{
	struct kvm_regs in, g;
	struct hvm hv;
	int ran;

	if (hvm_create_mode(&hv, kvm, false, KVM_TPT_MODE_TRUST)) {
		check(r, false, "hostile VM with an identity page set up", -1);
		return;
	}
	if (!vcpu_has_svm(&hv.t)) {
		printf("SKIP EFER.SVME tests: KVM offers no nested SVM here\n");
		hvm_destroy(&hv);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.rbx = ARM_CR3;
	in.rcx = TPT_ROOT_GPA;
	in.rsi = TPT_ROOT_GPA;
	in.rdi = ARM_CR3;
	ran = hvm_run(&hv, hg_svme, hg_svme_end, &in, NULL, &g);
	check(r, ran == 0 && g.r9 == 0xaaaa, "EFER.SVME: armed load entered TPT first", (long)g.r9);
	check(r, g.r10 == 0xbbbb, "setting EFER.SVME in TPT leaves TPT", (long)g.r10);
	check(r, g.r11 == 0xbbbb, "...and drops the arm", (long)g.r11);
	check(r, g.r12 == (uint64_t)-95 && g.r13 == 0xbbbb,
	      "ENTER with EFER.SVME set is refused (-KVM_EOPNOTSUPP), still on nested paging",
	      (long)g.r12);
	check(r, g.r14 == (uint64_t)-95, "ARM with EFER.SVME set is refused", (long)g.r14);
	check(r, vstat(&hv, "tpt_mode_refusals") == 2 && vstat(&hv, "tpt_forced_disarms") == 1,
	      "tpt_mode_refusals counts both refusals", vstat(&hv, "tpt_mode_refusals"));
	hvm_destroy(&hv);
}

static int vmm_calls;
static long seen_armed, seen_active;

/* The VMM writes the vCPU's special registers back unchanged. */
static void at_port_sregs(struct hvm *hv)
{
	struct kvm_sregs sregs;

	seen_armed = vstat(hv, "tpt_armed");
	seen_active = vstat(hv, "tpt_active");

	if (ioctl(hv->t.vcpu, KVM_GET_SREGS, &sregs) == 0 && sregs.cr3 == ARM_CR3 &&
	    ioctl(hv->t.vcpu, KVM_SET_SREGS, &sregs) == 0)
		vmm_calls++;
}

/* The VMM turns dirty logging on for guest RAM. */
static void at_port_dirty(struct hvm *hv)
{
	struct kvm_userspace_memory_region r;

	memset(&r, 0, sizeof(r));
	r.flags = KVM_MEM_LOG_DIRTY_PAGES;
	r.memory_size = GUEST_MEM;
	r.userspace_addr = (uint64_t)(uintptr_t)hv->t.mem;
	if (ioctl(hv->t.vm, KVM_SET_USER_MEMORY_REGION, &r) == 0)
		vmm_calls++;
}

/* The same through KVM_GET_SREGS2/KVM_SET_SREGS2. */
static void at_port_sregs2(struct hvm *hv)
{
	struct kvm_sregs2 sregs;

	if (ioctl(hv->t.vcpu, KVM_GET_SREGS2, &sregs) == 0 && sregs.cr3 == ARM_CR3 &&
	    ioctl(hv->t.vcpu, KVM_SET_SREGS2, &sregs) == 0)
		vmm_calls++;
}

/* The VMM writes the vCPU's nested state back as KVM_GET_NESTED_STATE read it. */
static void at_port_nested(struct hvm *hv)
{
	const uint32_t size = 0x6000;
	struct kvm_nested_state *st = calloc(1, size);

	if (!st)
		return;
	st->size = size;
	if (ioctl(hv->t.vcpu, KVM_GET_NESTED_STATE, st) == 0 &&
	    ioctl(hv->t.vcpu, KVM_SET_NESTED_STATE, st) == 0)
		vmm_calls++;
	free(st);
}

/*
 * The VMM puts the vCPU into VMX operation (VMXON region at H_VMXON_GPA, no
 * current VMCS) with KVM_SET_NESTED_STATE: KVM does not ask for CR4.VMXE
 * there, so the guest could then VMLAUNCH with CR4.VMXE clear.
 */
static void at_port_vmxon(struct hvm *hv)
{
	struct kvm_nested_state st;

	memset(&st, 0, sizeof(st));
	st.format = KVM_STATE_NESTED_FORMAT_VMX;
	st.size = sizeof(st);
	st.hdr.vmx.vmxon_pa = H_VMXON_GPA;
	st.hdr.vmx.vmcs12_pa = (uint64_t)-1;
	if (ioctl(hv->t.vcpu, KVM_SET_NESTED_STATE, &st) == 0)
		vmm_calls++;
}

/*
 * From the VMM while the vCPU is in TPT: KVM_SET_SREGS, dirty logging on,
 * KVM_SET_NESTED_STATE and KVM_SET_SREGS2 (where KVM offers them), and on
 * Intel KVM_SET_NESTED_STATE into VMX operation.
 */
static void test_outside(struct result *r, int kvm)
{
	static uint64_t bitmap[GUEST_FRAMES / 64];
	struct kvm_dirty_log log;
	struct kvm_regs in, g;
	struct hvm hv;
	int ran;

	static void (*const call[])(struct hvm *) = {
		at_port_sregs, at_port_dirty, at_port_nested, at_port_sregs2, at_port_vmxon,
	};
	static const char *const name[] = {
		"KVM_SET_SREGS", "dirty logging", "KVM_SET_NESTED_STATE", "KVM_SET_SREGS2",
		"KVM_SET_NESTED_STATE into VMX operation",
	};
	static const int cap[] = {
		0, 0, KVM_CAP_NESTED_STATE, KVM_CAP_SREGS2, KVM_CAP_NESTED_STATE,
	};

	for (int m = 0; m < 5; m++) {
		const char *what = name[m];
		char msg[160];

		if (cap[m] && ioctl(kvm, KVM_CHECK_EXTENSION, cap[m]) <= 0) {
			printf("SKIP %s in TPT: not offered here\n", what);
			continue;
		}
		if (m == 4 && hypercall_modrm != 0xc1) {
			printf("SKIP %s in TPT: not an Intel CPU\n", what);
			continue;
		}

		/* Nested state needs VMX or SVM, which verify mode refuses. */
		if (hvm_create_mode(&hv, kvm, false, m == 2 || m == 4 ?
				    KVM_TPT_MODE_TRUST : KVM_TPT_MODE_VERIFY)) {
			check(r, false, "hostile VM with an identity page set up", -1);
			return;
		}
		vmm_calls = 0;
		memset(&in, 0, sizeof(in));
		in.rbx = ARM_CR3;
		in.rcx = TPT_ROOT_GPA;
		ran = hvm_run(&hv, hg_outside, hg_outside_end, &in, call[m], &g);
		snprintf(msg, sizeof(msg), "%s in TPT: the VMM call succeeded, guest ran to hlt", what);
		check(r, ran == 0 && vmm_calls == 1 && g.r9 == 0xaaaa, msg, vmm_calls);
		snprintf(msg, sizeof(msg), "%s in TPT: the vCPU left TPT", what);
		check(r, g.r10 == 0xbbbb, msg, (long)g.r10);
		snprintf(msg, sizeof(msg), "%s in TPT: and was disarmed", what);
		check(r, g.r11 == 0xbbbb, msg, (long)g.r11);
		snprintf(msg, sizeof(msg), "%s in TPT: counted (tpt_forced_exits 1, tpt_forced_disarms 1)", what);
		check(r, vstat(&hv, "tpt_forced_exits") == 1 && vstat(&hv, "tpt_forced_disarms") == 1,
		      msg, vstat(&hv, "tpt_forced_exits"));
		if (m == 0) {
			check(r, seen_armed == 1 && seen_active == 1,
			      "tpt_armed and tpt_active read 1 while the vCPU is armed and in TPT",
			      seen_armed);
			check(r, vstat(&hv, "tpt_armed") == 0 && vstat(&hv, "tpt_active") == 0,
			      "...and 0 once KVM_SET_SREGS ended both", vstat(&hv, "tpt_armed"));
		}
		if (m == 4) {
			check(r, g.r12 == (uint64_t)-95 && g.r13 == 0xbbbb &&
			      vstat(&hv, "tpt_mode_refusals") == 1,
			      "ENTER in VMX operation with CR4.VMXE clear is refused (-KVM_EOPNOTSUPP), counted, still on nested paging",
			      (long)g.r12);
		}
		if (m == 1) {
			check(r, g.r12 == (uint64_t)-95 && g.r13 == 0xbbbb,
			      "ENTER while dirty logging is on is refused (-KVM_EOPNOTSUPP)", (long)g.r12);
			memset(&log, 0, sizeof(log));
			log.slot = 0;
			log.dirty_bitmap = bitmap;
			check(r, ioctl(hv.t.vm, KVM_GET_DIRTY_LOG, &log) == 0 &&
			      (bitmap[0x700 / 64] >> (0x700 % 64) & 1),
			      "the guest's write after it left TPT is in the dirty log", 0);
		}
		hvm_destroy(&hv);
	}
}

static int smis;

static void at_port_smi(struct hvm *hv)
{
	if (ioctl(hv->t.vcpu, KVM_SMI, 0) == 0)
		smis++;
}

/* An SMI while in TPT: the SMI handler must run on guest-physical memory. */
static void test_smm(struct result *r, int kvm)
{
	struct kvm_vcpu_events ev;
	struct kvm_regs in, g;
	struct hvm hv;
	int ran;

	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM) <= 0 ||
	    ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE) < 2) {
		printf("SKIP SMI in TPT: this KVM has no SMM\n");
		return;
	}
	if (hvm_create(&hv, kvm, true)) {
		check(r, false, "hostile VM with an identity page set up", -1);
		return;
	}
	guest_code(hv.t.mem + H_SMM_GPA, hg_smm16, (size_t)(hg_smm16_end - hg_smm16));
	smis = 0;
	memset(&in, 0, sizeof(in));
	in.rbx = TPT_ROOT_GPA;
	in.rsi = hv.v;
	ran = hvm_run(&hv, hg_smm_main, hg_smm_main_end, &in, at_port_smi, &g);
	check(r, ran == 0 && smis == 1 && g.r8 == 0 && g.r9 == 0xaaaa,
	      "SMI in TPT: ENTER worked, KVM_SMI injected, the guest halted", (long)g.r9);
	check(r, (uint32_t)g.rbx == 0x5a5a5a5a,
	      "SMI in TPT: the SMI handler ran from guest memory (SMBASE + 0x8000)", (long)g.rbx);
	check_contained(r, &hv, &g, "SMI in TPT");
	check(r, vstat(&hv, "tpt_exits") == 1 && vstat(&hv, "tpt_forced_exits") == 1,
	      "SMI in TPT: SMM entry ended TPT (tpt_exits 1, tpt_forced_exits 1)",
	      vstat(&hv, "tpt_forced_exits"));
	memset(&ev, 0, sizeof(ev));
	ran = ioctl(hv.t.vcpu, KVM_GET_VCPU_EVENTS, &ev);
	check(r, ran == 0 && ev.smi.smm, "SMI in TPT: the vCPU is in SMM (KVM_GET_VCPU_EVENTS)",
	      ev.smi.smm);
	hvm_destroy(&hv);
}

/*
 * --walk-cost MIB...: the time of one verify-mode ENTER on the two worst
 * roots a guest of MIB MiB can build (issue 14, property 6), printed as
 * TPT-COST lines. "self": the root's 512 entries all point back at it, so
 * the walk runs out of leaf-frame budget. "empty": root -> one level-3
 * table -> one level-2 table -> one level-1 table with nothing present,
 * every entry of the upper three pointing at the next: the walk runs out
 * of table budget (one table page per guest frame) reading 512 entries
 * per page, with no leaf at all.
 */
static int walk_cost(int kvm, unsigned long mib)
{
	const uint64_t l3 = TPT_ROOT_GPA + 0x1000, l2 = TPT_ROOT_GPA + 0x2000;
	const uint64_t l1 = TPT_ROOT_GPA + 0x3000;
	struct tvm t;
	uint64_t got, e;
	double t0, us;
	long w0;

	tvm_create_sized(&t, kvm, KVM_TPT_MODE_VERIFY, (size_t)mib << 20);
	tvm_set_cpuid(&t, kvm);
	tvm_long_mode(&t);
	t0 = now_us();
	got = tvm_hypercall64(&t, HC_TPT_INIT, MAP_GPA, GUEST_FRAMES * 8);
	if (got != (uint64_t)mib * 256) {
		printf("FAIL walk-cost %lu MiB: INIT returned %ld\n", mib, (long)got);
		return 1;
	}
	printf("TPT-COST %lu MiB guest: INIT pinned %lu frames in %.0f us (emulated)\n",
	       mib, mib * 256, now_us() - t0);
	for (int shape = 0; shape < 2; shape++) {
		memset(t.mem + TPT_ROOT_GPA, 0, 4 * 4096);
		for (int i = 0; i < 512; i++) {
			if (shape == 0) {
				e = map_entry(&t, TPT_ROOT_GPA >> 12) << 12 | PTE_P_RW;
				memcpy(t.mem + TPT_ROOT_GPA + 8 * i, &e, 8);
				continue;
			}
			e = map_entry(&t, l3 >> 12) << 12 | PTE_P_RW;
			memcpy(t.mem + TPT_ROOT_GPA + 8 * i, &e, 8);
			e = map_entry(&t, l2 >> 12) << 12 | PTE_P_RW;
			memcpy(t.mem + l3 + 8 * i, &e, 8);
			e = map_entry(&t, l1 >> 12) << 12 | PTE_P_RW;
			memcpy(t.mem + l2 + 8 * i, &e, 8);
		}
		w0 = vm_stat(t.vm, "tpt_walk_work");
		t0 = now_us();
		got = tvm_enter_only(&t, TPT_ROOT_GPA);
		us = now_us() - t0;
		printf("TPT-COST %lu MiB guest, %s root: ENTER %s after %.0f us, walk work %ld (emulated)\n",
		       mib, shape ? "empty" : "self", got == (uint64_t)-7 ? "refused (-KVM_E2BIG)" : "not refused",
		       us, vm_stat(t.vm, "tpt_walk_work") - w0);
		if (got != (uint64_t)-7)
			return 1;
	}
	tvm_destroy(&t);
	return 0;
}

#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES	235
#endif
#define VM_TYPE_SW_PROTECTED	1	/* KVM_X86_SW_PROTECTED_VM */

/*
 * TPT only on default VMs (host patch 0029): a software-protected VM's
 * private memory is guest_memfd, which INIT does not pin (SEV VMs are
 * refused the same way; the emulators have no SEV).
 */
static void test_vm_types(struct result *r, int kvm)
{
	int types = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES), vm;
	long got;

	if (types <= 0 || !(types & (1 << VM_TYPE_SW_PROTECTED))) {
		printf("SKIP TPT on a KVM_X86_SW_PROTECTED_VM: type not offered here (types %#x)\n",
		       types > 0 ? types : 0);
		return;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, VM_TYPE_SW_PROTECTED);
	if (vm < 0) {
		check(r, false, "KVM_CREATE_VM of a KVM_X86_SW_PROTECTED_VM", -errno);
		return;
	}
	got = enable(vm, KVM_TPT_MODE_VERIFY, 0, 0);
	check(r, got == -EINVAL, "TPT on a KVM_X86_SW_PROTECTED_VM is refused with EINVAL", got);
	check(r, vm_stat(vm, "tpt_mode") == 0, "...and its tpt_mode stays 0", vm_stat(vm, "tpt_mode"));
	close(vm);
}

/*
 * --virtio-attack: the hostile guest tests/guests/tpt_virtio_attack.S
 * under tptvmm asks its virtio-blk disk to read sector 0 into a leaf table
 * of its armed tree; sector 0 holds an entry naming page H, a page of this
 * process outside guest RAM seeded with 0x01 bytes. Verify mode: tptvmm
 * announces the write, KVM refuses it, the request is not served, and the
 * armed load reads the tree's own page. Trust mode (no announcement, the
 * model of hardware tagging) is the control: the same guest reads H, so
 * the test can tell. H must be unchanged after both.
 */
/* The start of file @path as a string in @buf (empty if unreadable). */
static void slurp(const char *path, char *buf, size_t size)
{
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

static int run_attack_vmm(const char *vmm, const char *guest, const char *disk,
			  const char *mode, const char *out, const char *err)
{
	char tpt[32];
	int status;
	pid_t pid;

	snprintf(tpt, sizeof(tpt), "--tpt=%s", mode);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		execl(vmm, vmm, "--raw", guest, "--raw-mode", "long", "--mem", "64M",
		      tpt, "--disk", disk, "--timeout", "600", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int virtio_attack(const char *vmm, const char *guest, const char *dir)
{
	static const struct {
		const char *mode, *out, *err;
		int status;
	} runs[] = {
		{ "verify", "TPT-VIRTIO-ATTACK device=R read=5050505050505050",
		  "debug-exit port written with 0", 0 },
		{ "trust", "TPT-VIRTIO-ATTACK device=S read=0101010101010101",
		  "debug-exit port written with 21", 10 },
	};
	struct result r = { 0, 0 };
	char disk[512], out[512], err[512];
	uint64_t sector[64] = { 0 };
	uint8_t *h;
	uint64_t pfn;
	int fd;

	h = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED || mlock(h, 4096)) {
		perror("tpt_kvm_test: the seeded page");
		return 2;
	}
	memset(h, 0x01, 4096);
	pfn = host_pfn(h);
	if (!pfn) {
		fprintf(stderr, "tpt_kvm_test: no host frame for the seeded page (run as root)\n");
		return 2;
	}
	/* The leaf entry for VA 0x200000: present, writable, accessed. */
	sector[0] = pfn << 12 | 0x23;
	snprintf(disk, sizeof(disk), "%s/attack.img", dir);
	fd = open(disk, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, sector, sizeof(sector)) != sizeof(sector) ||
	    ftruncate(fd, 1 << 20) || close(fd)) {
		perror(disk);
		return 2;
	}
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		static char o[16384], e[16384];
		int st, failed = r.fail;
		char what[200];
		bool same = true;

		snprintf(out, sizeof(out), "%s/attack-%s.out", dir, runs[i].mode);
		snprintf(err, sizeof(err), "%s/attack-%s.err", dir, runs[i].mode);
		st = run_attack_vmm(vmm, guest, disk, runs[i].mode, out, err);
		slurp(out, o, sizeof(o));
		slurp(err, e, sizeof(e));
		snprintf(what, sizeof(what), "virtio attack, %s mode: tptvmm exit status %d",
			 runs[i].mode, runs[i].status);
		check(&r, st == runs[i].status, what, st);
		snprintf(what, sizeof(what), "virtio attack, %s mode: the guest printed \"%s\"",
			 runs[i].mode, runs[i].out);
		check(&r, strstr(o, runs[i].out) != NULL, what, 0);
		snprintf(what, sizeof(what), "virtio attack, %s mode: \"%s\"", runs[i].mode,
			 runs[i].err);
		check(&r, strstr(e, runs[i].err) != NULL, what, 0);
		if (!strcmp(runs[i].mode, "verify")) {
			check(&r, strstr(e, "refused_requests=1 ") != NULL,
			      "virtio attack, verify mode: tptvmm counted one refused request", 0);
			check(&r, strstr(e, "tpt_device_writes_refused=1") != NULL,
			      "virtio attack, verify mode: KVM counted one refused device write", 0);
		} else {
			check(&r, strstr(e, "refused_requests=0 ") != NULL,
			      "virtio attack, trust mode: tptvmm served the request", 0);
		}
		for (int b = 0; b < 4096; b++)
			same &= h[b] == 0x01;
		snprintf(what, sizeof(what), "virtio attack, %s mode: the seeded host page is unchanged",
			 runs[i].mode);
		check(&r, same, what, 0);
		if (r.fail > failed)
			printf("--- %s\n%s--- %s\n%s", out, o, err, e);
	}
	printf("tpt_kvm_test: virtio attack: %d passed, %d failed\n", r.pass, r.fail);
	return r.fail ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/kvm";
	const int both = (1 << KVM_TPT_MODE_VERIFY) | (1 << KVM_TPT_MODE_TRUST);
	struct result r = { 0, 0 };
	int kvm, a, b, c, vcpu;
	long got;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* results survive a crash */
	set_vendor();
	read_host_pat();
	if (argc > 2 && !strcmp(argv[1], "--walk-cost")) {
		int bad = 0;

		kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (kvm < 0) {
			perror("tpt_kvm_test: /dev/kvm");
			return 2;
		}
		for (int i = 2; i < argc; i++)
			bad |= walk_cost(kvm, strtoul(argv[i], NULL, 10));
		return bad;
	}
	if (argc == 5 && !strcmp(argv[1], "--virtio-attack"))
		return virtio_attack(argv[2], argv[3], argv[4]);
	if (argc == 2 && !strcmp(argv[1], "--restricted")) {
		/* kvm_intel loaded with unrestricted_guest=0: the arm's checks. */
		kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (kvm < 0) {
			perror("tpt_kvm_test: /dev/kvm");
			return 2;
		}
		test_arm(&r, kvm);
		test_cr0_keeps_arm(&r, kvm);
		close(kvm);
		printf("tpt_kvm_test: %d passed, %d failed\n", r.pass, r.fail);
		return r.fail ? 1 : 0;
	}
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
	/* TPT decides what host memory a guest reaches (host patch 0042). */
	if (cap_effective(CAP_SYS_RAWIO, false) == 0) {
		got = enable(a, KVM_TPT_MODE_VERIFY, 0, 0);
		c = enable(a, KVM_TPT_MODE_TRUST, 0, 0);
		check(&r, got == -EPERM && c == -EPERM && vm_stat(a, "tpt_mode") == 0,
		      "without CAP_SYS_RAWIO neither mode enables (-EPERM)", got);
		if (cap_effective(CAP_SYS_RAWIO, true)) {
			perror("tpt_kvm_test: CAP_SYS_RAWIO back");
			return 2;
		}
	} else {
		check(&r, false, "drop CAP_SYS_RAWIO for the enable check", -errno);
	}
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
	test_vm_types(&r, kvm);
	test_init(&r, kvm);
	test_pin_accounting(&r, kvm);
	test_init_race(&r, kvm);
	test_enter(&r, kvm);
	test_sregs_in_tpt(&r, kvm);
	test_arm(&r, kvm);
	test_arm_word(&r, kvm);
	test_cr0_keeps_arm(&r, kvm);
	test_wp_drops_arm(&r, kvm);
	test_syscall_rpl(&r, kvm);
	test_pat_in_tpt(&r, kvm);
	test_host_pat(&r, kvm);
	test_emulation_leaves(&r, kvm);
	test_modes(&r, kvm);
	test_stale(&r, kvm);
	test_attacks(&r, kvm);
	test_benign_writes(&r, kvm);
	test_writable_tables(&r, kvm);
	test_tables_written(&r, kvm);
	test_huge_rewalk(&r, kvm);
	test_svme(&r, kvm);
	test_nested_xen(&r, kvm);
	test_device_writes(&r, kvm);
	test_outside(&r, kvm);
	test_legacy_paging(&r, kvm);
	test_paging_off(&r, kvm);
	test_smm(&r, kvm);
	close(kvm);
	printf("tpt_kvm_test: %d passed, %d failed\n", r.pass, r.fail);
	return r.fail ? 1 : 0;
}
