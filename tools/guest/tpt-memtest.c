/* SPDX-License-Identifier: MIT */
/*
 * tpt-memtest: a memory workload whose result does not depend on how its
 * pages are translated, to compare a process run under TPT with one run
 * without it. Static, runs in a busybox initramfs.
 *
 *   tpt-memtest [-m MIB] [-n UPDATES] [-s SEED] [-S SYSCALLS] [-t REMAPS] [-q]
 *               [-w] [-W] [-C] [-P] [-A ROUNDS]
 *   tpt-memtest -F FORKS [-m MIB] [-q]
 *   tpt-memtest -T ROUNDS [-c CPU] [-q]
 *
 * It maps MIB MiB, writes a pseudo-random pattern with random-order
 * 64-bit updates, forks (the child reads everything back through
 * copy-on-write pages and checksums it, then writes to some pages, which
 * the parent must not see), uses mprotect (read-only then writable
 * again), madvise(MADV_DONTNEED) on a range (which must read back as
 * zeroes), munmap + mmap of a range, and MADV_HUGEPAGE on a 2 MiB-aligned
 * region. With at least 4 MiB, that region is then split (one of its 4K
 * pages zapped and rewritten: the huge PMD becomes a page table) and
 * collapsed again (MADV_COLLAPSE copies it into a new huge page and frees
 * the old pages); its contents must not change. Finally it prints one
 * checksum over everything:
 *
 *   tpt-memtest: mib=M updates=N checksum=HEX child=HEX ms=T update_ms=U
 *                collapse=ok|unsupported|failed|skipped (below 4 MiB) ...
 *
 * ms is the whole run; update_ms only the random updates, which start
 * after every page has been touched once (no page faults in between), so
 * it measures translation (TLB misses), not fault handling. With -S N it
 * then makes N getppid() calls and appends syscall_ns=T, the mean cost of
 * one user -> kernel -> user round trip (what TPT's switches add to).
 *
 * Always: a write to a read-only page must raise SIGSEGV with the faulting
 * address and SEGV_ACCERR, and the buffer's /proc/self/smaps counters are
 * printed (smaps=rss:KB/anon:KB/dirty:KB/ref:KB), to compare runs with and
 * without TPT. With -t N, a second thread keeps reading a page that the
 * main thread zaps (madvise DONTNEED) and rewrites N times; after each
 * rewrite the reader must see the new value, never the old page through a
 * stale translation (TLB shootdown across vCPUs); prints remaps=N stale=K.
 *
 * -w prints "tpt-memtest: waiting pid=P" and waits for SIGUSR1 before it
 * starts (time to switch it to TPT by pid); -W prints "tpt-memtest:
 * holding pid=P" after its work and waits for SIGUSR1 (time to look at
 * it while it is alive, or to migrate its pages or clear their
 * referenced bits), then reads the whole buffer again: the checksum must
 * not have changed, and it prints "tpt-memtest: after_hold smaps=..."
 * (every page referenced again) and moved=N, how many of its pages
 * are now in other guest frames than before the hold (read from
 * /proc/self/pagemap: root only, otherwise moved=unknown).
 *
 * -P pages the whole buffer out (MADV_PAGEOUT: reclaim, to swap), counts
 * the pages whose entries became swap entries (pagemap), reads everything
 * back (swap-in faults) and requires the same checksum; prints
 * "tpt-memtest: pageout=N of M pages". Needs active swap to page
 * anything out.
 *
 * -A N walks the address space after the work: N times it maps 16 MiB
 * of 4K pages (MADV_NOHUGEPAGE) at a new 1 GiB-aligned address, writes
 * and reads the first and the last page of each 2 MiB and unmaps it
 * again; prints "tpt-memtest: walk=N rounds". Each round needs 8 new page
 * tables and a PMD table, and under TPT as many companion tables, which
 * the unmap must give back.
 *
 * -F N only churns processes: it fills 64 KiB (MIB MiB with -m) and forks
 * N short-lived children one after the other; each reads the buffer
 * through shared copy-on-write pages, writes some of it (its own copies),
 * maps, writes and reads a fresh page, and exits with 0 only if all it
 * read was right; the parent checks its own buffer at the end. Prints
 * "tpt-memtest: forks=N failed=K checksum=HEX".
 *
 * -T N only replaces page tables under a reader on another CPU: a reader
 * thread, pinned to CPU -c (default: the last one), spins in user mode
 * over a 2 MiB-aligned 2 MiB region without any system call (on a
 * nohz_full CPU nothing but IPIs and its own page faults take it into
 * the kernel), while the main thread, pinned to CPU 0, replaces the
 * region N times with a fresh mapping (mmap MAP_FIXED: its page table,
 * and under TPT the companion table, are freed) and writes a new
 * generation into 8 of its pages. The reader must see every generation
 * on all 8 pages, never an old one through a stale or freed translation.
 * Prints "tpt-memtest: tables=N stale=K reader_cpu=C".
 *
 * -C ends the run with abort(),
 * for a core dump, after printing buf=ADDR (where the buffer is) on the
 * result line: tpt-corecheck finds the checksum again in the core.
 *
 * Exit status 0 when every internal check held, 1 otherwise (the failed
 * check is printed), 2 for bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tpt-fnv.h"

#define PAGE 4096UL
#define HUGE (2UL << 20)
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

static int failed;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "tpt-memtest: check failed: " __VA_ARGS__);	\
		fputc('\n', stderr);					\
		failed = 1;						\
	}								\
} while (0)

static uint64_t next(uint64_t *s)
{
	/* xorshift64*: the same sequence everywhere. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static uint64_t checksum(const uint64_t *w, size_t n)
{
	return tpt_fnv(TPT_FNV_INIT, w, n);
}

/* Prints @what with our pid, then waits for SIGUSR1 (blocked in main). */
static void wait_usr1(const char *what)
{
	sigset_t set;
	int sig;

	printf("tpt-memtest: %s pid=%d\n", what, (int)getpid());
	fflush(stdout);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK(!sigwait(&set, &sig), "sigwait failed");
}

/*
 * @r (@words long) was just zapped (madvise DONTNEED, munmap + mmap): it
 * must read back as zeroes. Then it is refilled with @first, @first + 1...
 */
static void check_zero_refill(uint64_t *r, size_t words, uint64_t first, const char *what)
{
	size_t i;

	for (i = 0; i < words; i++)
		if (r[i]) {
			CHECK(0, "%s page not zero at word %zu", what, i);
			break;
		}
	for (i = 0; i < words; i++)
		r[i] = first + i;
}

static int usage(void)
{
	fprintf(stderr, "usage: tpt-memtest [-m MIB (1..65536)] [-n UPDATES] [-s SEED] [-S SYSCALLS] [-t REMAPS] [-q] [-w] [-W] [-C] [-P] [-A ROUNDS]\n"
			"       tpt-memtest -F FORKS [-m MIB] [-q]\n"
			"       tpt-memtest -T ROUNDS [-c CPU] [-q]\n");
	return 2;
}

/* SIGSEGV on a read-only page: where and why, then back to the check. */
static sigjmp_buf segv_jmp;
static void *volatile segv_addr;
static volatile int segv_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	segv_addr = si->si_addr;
	segv_code = si->si_code;
	siglongjmp(segv_jmp, 1);
}

static void check_segv(uint64_t *page)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, &old);
	CHECK(!mprotect(page, PAGE, PROT_READ), "mprotect for SIGSEGV: %s", strerror(errno));
	segv_addr = NULL;
	if (!sigsetjmp(segv_jmp, 1)) {
		*(volatile uint64_t *)(page + 3) = 1;
		CHECK(0, "a write to a read-only page did not fault");
	}
	CHECK(segv_addr == (void *)(page + 3), "SIGSEGV at %p, expected %p", segv_addr,
	      (void *)(page + 3));
	CHECK(segv_code == SEGV_ACCERR, "SIGSEGV si_code %d, expected SEGV_ACCERR", segv_code);
	CHECK(!mprotect(page, PAGE, PROT_READ | PROT_WRITE), "mprotect back: %s", strerror(errno));
	sigaction(SIGSEGV, &old, NULL);
}

/* The buffer's VMAs in /proc/self/smaps, summed into one short string. */
static void smaps_summary(const void *addr, size_t bytes, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	unsigned long lo, hi, v, rss = 0, anon = 0, dirty = 0, ref = 0;
	int in = 0;

	snprintf(out, len, "unavailable");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)addr < hi && (uintptr_t)addr + bytes > lo;
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, "Rss: %lu", &v) == 1)
			rss += v;
		else if (sscanf(line, "Anonymous: %lu", &v) == 1)
			anon += v;
		else if (sscanf(line, "Private_Dirty: %lu", &v) == 1)
			dirty += v;
		else if (sscanf(line, "Referenced: %lu", &v) == 1)
			ref += v;
	}
	fclose(f);
	snprintf(out, len, "rss:%lu/anon:%lu/dirty:%lu/ref:%lu", rss, anon, dirty, ref);
}

struct shoot {
	volatile uint64_t *page;
	uint64_t gen, ack;	/* accessed atomically */
	unsigned long stale;
	int stop;
};

static void *shoot_reader(void *arg)
{
	struct shoot *sh = arg;
	uint64_t seen = 0;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		uint64_t g = __atomic_load_n(&sh->gen, __ATOMIC_ACQUIRE);
		uint64_t v = sh->page[0];	/* keeps the translation warm */

		if (g == seen) {
			sched_yield();
			continue;
		}
		if (v != g)
			v = sh->page[0];	/* read before seeing g: read again */
		if (v != g)
			sh->stale++;
		seen = g;
		__atomic_store_n(&sh->ack, g, __ATOMIC_RELEASE);
	}
	return NULL;
}

struct tables {
	volatile uint64_t *region;	/* 2 MiB, replaced by the main thread */
	uint64_t gen, ack;		/* accessed atomically */
	unsigned long stale;
	int cpu, ran_on, stop;
};

#define TABLE_PROBES 8			/* pages of the region read back */
#define TABLE_STRIDE (HUGE / TABLE_PROBES / 8)	/* in words */

static void pin(pthread_t t, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	CHECK(!pthread_setaffinity_np(t, sizeof(set), &set), "cannot pin a thread to CPU %d", cpu);
}

static void *table_reader(void *arg)
{
	struct tables *tb = arg;
	uint64_t seen = 0;

	pin(pthread_self(), tb->cpu);
	tb->ran_on = sched_getcpu();
	while (!__atomic_load_n(&tb->stop, __ATOMIC_ACQUIRE)) {
		uint64_t g = __atomic_load_n(&tb->gen, __ATOMIC_ACQUIRE);
		int bad = 0;

		for (int p = 0; p < TABLE_PROBES; p++) {
			uint64_t v = tb->region[p * TABLE_STRIDE];	/* warm */

			if (g != seen && v != g && tb->region[p * TABLE_STRIDE] != g)
				bad = 1;
		}
		if (g == seen) {
			__builtin_ia32_pause();
			continue;
		}
		tb->stale += bad;
		seen = g;
		__atomic_store_n(&tb->ack, g, __ATOMIC_RELEASE);
	}
	if (sched_getcpu() != tb->ran_on)
		tb->ran_on = -1;
	return NULL;
}

/*
 * -T: the main thread replaces the reader's region @n times; returns the
 * rounds in which the reader saw an old value.
 */
static unsigned long table_test(uint64_t n, int cpu, int quiet)
{
	struct tables tb = { .cpu = cpu };
	pthread_t t;
	char *r = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (r == MAP_FAILED) {
		CHECK(0, "mmap for the table test: %s", strerror(errno));
		return 0;
	}
	r = (char *)(((uintptr_t)r + HUGE - 1) & ~(HUGE - 1));
	/*
	 * A page table, never a 2M leaf: the reader touches each new mapping
	 * before an madvise could reach it, and a huge zero page or THP there
	 * would need no page table to free.
	 */
	CHECK(!prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), "PR_SET_THP_DISABLE: %s", strerror(errno));
	tb.region = (volatile uint64_t *)r;
	pin(pthread_self(), 0);
	if (pthread_create(&t, NULL, table_reader, &tb)) {
		CHECK(0, "pthread_create");
		return 0;
	}
	for (uint64_t k = 1; k <= n; k++) {
		/* The old mapping, its page table and companion table go. */
		void *m = mmap(r, HUGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		if (m != r) {
			CHECK(0, "mmap MAP_FIXED in round %" PRIu64 ": %s", k, strerror(errno));
			break;
		}
		for (int p = 0; p < TABLE_PROBES; p++)
			((volatile uint64_t *)r)[p * TABLE_STRIDE] = k;
		__atomic_store_n(&tb.gen, k, __ATOMIC_RELEASE);
		while (__atomic_load_n(&tb.ack, __ATOMIC_ACQUIRE) != k)
			sched_yield();
	}
	__atomic_store_n(&tb.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CHECK(!tb.stale, "%lu rounds saw an old page after the region was replaced", tb.stale);
	CHECK(tb.ran_on == cpu, "the reader did not stay on CPU %d", cpu);
	if (!quiet)
		printf("tpt-memtest: tables=%" PRIu64 " stale=%lu reader_cpu=%d\n", n, tb.stale,
		       tb.ran_on);
	return tb.stale;
}

/* The main thread zaps and rewrites the page @n times; returns stale reads. */
static unsigned long shootdown_test(uint64_t n)
{
	struct shoot sh = { 0 };
	pthread_t t;
	uint64_t *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED) {
		CHECK(0, "mmap for the shootdown test");
		return 0;
	}
	page[0] = 0;
	sh.page = page;
	if (pthread_create(&t, NULL, shoot_reader, &sh)) {
		CHECK(0, "pthread_create");
		return 0;
	}
	for (uint64_t k = 1; k <= n; k++) {
		/* A new zero page replaces the old one; the old one is freed and
		 * must be unreachable from every CPU the reader runs on. */
		CHECK(!madvise(page, PAGE, MADV_DONTNEED), "madvise: %s", strerror(errno));
		page[0] = k;
		__atomic_store_n(&sh.gen, k, __ATOMIC_RELEASE);
		while (__atomic_load_n(&sh.ack, __ATOMIC_ACQUIRE) != k)
			sched_yield();
	}
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	munmap(page, PAGE);
	CHECK(!sh.stale, "%lu reads saw a page after it was replaced", sh.stale);
	return sh.stale;
}

/*
 * Splits the huge page at @r (HUGE bytes, VM_HUGEPAGE) by zapping one 4K
 * page in it (the PMD becomes a page table), rewrites that page, then
 * collapses the range into a new huge page. Contents must survive both.
 * Returns "ok", "unsupported" (no MADV_COLLAPSE in this kernel) or "failed".
 */
static const char *split_and_collapse(uint64_t *r)
{
	uint64_t *z = r + 7 * PAGE / 8, before;
	size_t n = HUGE / 8;
	int tries, err = 0;

	CHECK(!madvise(z, PAGE, MADV_DONTNEED), "madvise(DONTNEED) in a huge page: %s",
	      strerror(errno));
	check_zero_refill(z, PAGE / 8, 7 * PAGE / 8, "split");
	before = checksum(r, n);
	for (tries = 0; tries < 5; tries++) {
		err = madvise(r, HUGE, MADV_COLLAPSE) ? errno : 0;
		if (err != EAGAIN)
			break;
	}
	CHECK(checksum(r, n) == before, "the huge page changed when it was collapsed");
	if (!err)
		return "ok";
	if (err == EINVAL)
		return "unsupported";
	CHECK(0, "madvise(MADV_COLLAPSE): %s", strerror(err));
	return "failed";
}

/* The /proc/self/pagemap entries of [@addr, +@pages pages) into @pm; 0 or -1. */
static int read_pagemap(const void *addr, size_t pages, uint64_t *pm)
{
	FILE *f = fopen("/proc/self/pagemap", "r");
	int r = -1;

	if (!f)
		return -1;
	if (!fseeko(f, (off_t)((uintptr_t)addr / PAGE * 8), SEEK_SET) &&
	    fread(pm, 8, pages, f) == pages)
		r = 0;
	fclose(f);
	return r;
}

/*
 * Guest frame of each page of [@addr, +@pages pages) into @pfn (0 where
 * not present). Returns -1 where pagemap cannot tell (no file, not root).
 */
static int read_pfns(const void *addr, size_t pages, uint64_t *pfn)
{
	size_t i;
	int any = 0;

	if (read_pagemap(addr, pages, pfn))
		return -1;
	for (i = 0; i < pages; i++) {
		/* bit 63: present; bits 0-54: frame (0 for non-root readers) */
		pfn[i] = (pfn[i] >> 63) ? pfn[i] & ((1ULL << 55) - 1) : 0;
		any |= pfn[i] != 0;
	}
	return any ? 0 : -1;
}

/*
 * MADV_PAGEOUT on the buffer: returns how many of its pages left their
 * page table entries for swap entries (pagemap bit 62; mincore would
 * count pages still in the swap cache as resident), or -1 where pagemap
 * cannot tell. The contents must read back unchanged (swap-in faults).
 */
static long page_out(uint64_t *w, size_t bytes, uint64_t sum)
{
	size_t pages = bytes / PAGE, i;
	uint64_t *pm = calloc(pages, sizeof(*pm));
	long out = -1;

	CHECK(!madvise(w, bytes, MADV_PAGEOUT), "madvise(MADV_PAGEOUT): %s", strerror(errno));
	if (pm && !read_pagemap(w, pages, pm))
		for (out = 0, i = 0; i < pages; i++)
			out += (pm[i] >> 62) & 1;	/* bit 62: swapped */
	free(pm);
	CHECK(checksum(w, bytes / 8) == sum, "the buffer changed when paged out and back in");
	return out;
}

/* -A: @rounds mappings of 16 MiB of 4K pages at new 1 GiB-aligned addresses. */
static void address_walk(uint64_t rounds)
{
	const size_t len = 16UL << 20, words = len / 8;
	const uintptr_t base = 0x100000000000UL;	/* 16 TiB */
	uint64_t r;
	size_t i;

	for (r = 0; r < rounds; r++) {
		void *hint = (void *)(base + (uintptr_t)r * (1UL << 30));
		uint64_t *p = mmap(hint, len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		uint64_t sum = 0;

		if (p == MAP_FAILED) {
			CHECK(0, "walk round %" PRIu64 ": mmap at %p: %s", r, hint, strerror(errno));
			return;
		}
		madvise(p, len, MADV_NOHUGEPAGE);
		/* The first and the last word of each 2 MiB. */
		for (i = 0; i < words; i += HUGE / 8) {
			p[i] = r + i;
			p[i + HUGE / 8 - 1] = r + i + 1;
		}
		for (i = 0; i < words; i += HUGE / 8)
			sum += p[i] + p[i + HUGE / 8 - 1] - 2 * (r + i) - 1;
		CHECK(!sum, "walk round %" PRIu64 ": read back wrong data", r);
		CHECK(!munmap(p, len), "walk round %" PRIu64 ": munmap: %s", r, strerror(errno));
	}
}

/* The child of fork_churn(): 0 if everything it read was right. */
static int fork_child(uint64_t *w, size_t words, uint64_t sum, uint64_t k)
{
	uint64_t *p;
	size_t i;

	if (checksum(w, words) != sum)
		return 1;
	for (i = 0; i < words; i += PAGE / 8)
		w[i] ^= k;
	for (i = 0; i < words; i += PAGE / 8)
		if ((w[i] ^ k) != i)
			return 1;
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (i = 0; i < PAGE / 8; i++)
		if (p[i])
			return 1;
	p[PAGE / 8 - 1] = k;
	return p[PAGE / 8 - 1] != k;
}

/*
 * -F: @forks children, one after the other, each a short life of faults,
 * copy-on-write breaks and a fresh mapping (under TPT: a companion table
 * built and freed). Returns how many children failed.
 */
static uint64_t fork_churn(uint64_t forks, size_t bytes, uint64_t *sum_out)
{
	size_t words = bytes / 8, i;
	uint64_t *w = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t bad = 0, k, sum;

	*sum_out = 0;
	if (w == MAP_FAILED) {
		CHECK(0, "mmap: %s", strerror(errno));
		return forks;
	}
	for (i = 0; i < words; i++)
		w[i] = i;
	sum = checksum(w, words);
	for (k = 1; k <= forks; k++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			CHECK(0, "fork %" PRIu64 ": %s", k, strerror(errno));
			bad += forks - k + 1;
			break;
		}
		if (pid == 0)
			_exit(fork_child(w, words, sum, k));
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			bad++;
	}
	CHECK(!bad, "%" PRIu64 " of %" PRIu64 " children read wrong data", bad, forks);
	CHECK(checksum(w, words) == sum, "the children's writes reached the parent");
	*sum_out = checksum(w, words);
	munmap(w, bytes);
	return bad;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

/* An option's number, which must be in [@min, @max]; 0 or -1. */
static int opt_u64(const char *s, uint64_t *v, uint64_t min, uint64_t max)
{
	return parse_u64(s, v) || *v < min || *v > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t mib = 16, updates = 0, seed = 42, syscalls = 0, remaps = 0, s, child_sum = 0, sum;
	uint64_t forks = 0, walk = 0, tables = 0, reader_cpu = UINT64_MAX;
	int mib_given = 0;
	unsigned long stale = 0;
	char smaps[128];
	double syscall_ns = 0;
	int quiet = 0, wait_start = 0, wait_end = 0, core = 0, pageout = 0, opt, status;
	const char *collapse = "skipped";
	sigset_t usr1;
	struct timespec t0, t1, u0, u1;
	size_t bytes, words, i;
	uint64_t *w;
	pid_t pid;
	int fds[2];

	while ((opt = getopt(argc, argv, "m:n:s:S:t:qwWCPF:A:T:c:")) != -1) {
		switch (opt) {
		case 'm':
			if (opt_u64(optarg, &mib, 1, 65536))
				return usage();
			mib_given = 1;
			break;
		case 'n':
			if (opt_u64(optarg, &updates, 0, UINT64_MAX))
				return usage();
			break;
		case 's':
			if (opt_u64(optarg, &seed, 1, UINT64_MAX))
				return usage();
			break;
		case 'S':
			if (opt_u64(optarg, &syscalls, 0, 100000000))
				return usage();
			break;
		case 't':
			if (opt_u64(optarg, &remaps, 0, 10000000))
				return usage();
			break;
		case 'q':
			quiet = 1;
			break;
		case 'w':
			wait_start = 1;
			break;
		case 'W':
			wait_end = 1;
			break;
		case 'C':
			core = 1;
			break;
		case 'P':
			pageout = 1;
			break;
		case 'A':
			if (opt_u64(optarg, &walk, 1, 4096))
				return usage();
			break;
		case 'F':
			if (opt_u64(optarg, &forks, 1, UINT64_MAX))
				return usage();
			break;
		case 'T':
			if (opt_u64(optarg, &tables, 1, 10000000))
				return usage();
			break;
		case 'c':
			if (opt_u64(optarg, &reader_cpu, 1, CPU_SETSIZE - 1))
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (reader_cpu != UINT64_MAX && !tables)
		return usage();
	if (tables) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		if (forks || mib_given || updates || seed != 42 || syscalls || remaps ||
		    wait_start || wait_end || core || pageout || walk)
			return usage();
		if (reader_cpu == UINT64_MAX)
			reader_cpu = ncpu - 1;
		if (ncpu < 2 || reader_cpu >= (uint64_t)ncpu) {
			fprintf(stderr, "tpt-memtest: -T needs a second CPU for the reader (CPU %" PRIu64
				", %ld online)\n", reader_cpu, ncpu);
			return 2;
		}
		table_test(tables, (int)reader_cpu, quiet);
		return failed;
	}
	if (forks) {
		uint64_t bad;

		if (updates || seed != 42 || syscalls || remaps || wait_start || wait_end ||
		    core || pageout || walk)
			return usage();
		bad = fork_churn(forks, mib_given ? mib << 20 : 16 * PAGE, &sum);
		if (!quiet)
			printf("tpt-memtest: forks=%" PRIu64 " failed=%" PRIu64
			       " checksum=%016" PRIx64 "\n", forks, bad, sum);
		return failed;
	}
	bytes = mib << 20;
	words = bytes / 8;
	if (!updates)
		updates = words * 2;
	/* Blocked here, so SIGUSR1 waits for sigwait() (threads inherit it). */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	if (wait_start)
		wait_usr1("waiting");
	clock_gettime(CLOCK_MONOTONIC, &t0);

	/* 2 MiB-aligned, so the THP region below is a whole huge page. */
	w = mmap(NULL, bytes + HUGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED) {
		perror("tpt-memtest: mmap");
		return 1;
	}
	w = (uint64_t *)(((uintptr_t)w + HUGE - 1) & ~(HUGE - 1));
	if (bytes >= 2 * HUGE)
		madvise((char *)w + HUGE, HUGE, MADV_HUGEPAGE);

	/* Random-order updates over the whole buffer. */
	s = seed;
	for (i = 0; i < words; i++)
		w[i] = i;
	clock_gettime(CLOCK_MONOTONIC, &u0);
	for (i = 0; i < updates; i++) {
		uint64_t r = next(&s);

		w[r % words] += r;
	}
	clock_gettime(CLOCK_MONOTONIC, &u1);
	sum = checksum(w, words);
	smaps_summary(w, bytes, smaps, sizeof(smaps));

	/* fork: the child sees the same data, and its writes stay its own. */
	if (pipe(fds)) {
		perror("tpt-memtest: pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("tpt-memtest: fork");
		return 1;
	}
	if (pid == 0) {
		uint64_t c = checksum(w, words);

		for (i = 0; i < words; i += PAGE / 8)
			w[i] = ~w[i];
		if (write(fds[1], &c, sizeof(c)) != sizeof(c))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &child_sum, sizeof(child_sum)) != sizeof(child_sum))
		CHECK(0, "no checksum from the child");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		CHECK(0, "child failed (status %#x)", status);
	CHECK(child_sum == sum, "child read %016" PRIx64 ", parent wrote %016" PRIx64,
	      child_sum, sum);
	CHECK(checksum(w, words) == sum, "the child's writes reached the parent");

	/* mprotect: read-only, then writable again; contents unchanged. */
	CHECK(!mprotect(w, bytes, PROT_READ), "mprotect(PROT_READ): %s", strerror(errno));
	CHECK(checksum(w, words) == sum, "data changed under PROT_READ");
	CHECK(!mprotect(w, bytes, PROT_READ | PROT_WRITE), "mprotect(RW): %s", strerror(errno));
	for (i = 0; i < words; i += PAGE / 8)
		w[i] ^= 0x5a5a5a5a5a5a5a5aULL;
	for (i = 0; i < words; i += PAGE / 8)
		w[i] ^= 0x5a5a5a5a5a5a5a5aULL;
	CHECK(checksum(w, words) == sum, "data wrong after mprotect round trip");

	/* madvise(DONTNEED): the range reads back as zeroes. */
	if (bytes >= 4 * PAGE) {
		uint64_t *r = w + 2 * PAGE / 8;

		CHECK(!madvise(r, 2 * PAGE, MADV_DONTNEED), "madvise: %s", strerror(errno));
		check_zero_refill(r, 2 * PAGE / 8, 2 * PAGE / 8, "DONTNEED");
	}

	/* munmap + mmap of a range: fresh zero pages, then rewritten. */
	if (bytes >= 8 * PAGE) {
		uint64_t *r = w + 4 * PAGE / 8;
		void *p;

		CHECK(!munmap(r, 2 * PAGE), "munmap: %s", strerror(errno));
		p = mmap(r, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		CHECK(p == r, "mmap(MAP_FIXED) failed");
		if (p == r)
			check_zero_refill(r, 2 * PAGE / 8, 4 * PAGE / 8, "remapped");
	}

	/* THP split and collapse of the MADV_HUGEPAGE region. */
	if (bytes >= 2 * HUGE)
		collapse = split_and_collapse(w + HUGE / 8);
	sum = checksum(w, words);
	check_segv(w);
	CHECK(checksum(w, words) == sum, "data changed by the SIGSEGV check");
	if (remaps)
		stale = shootdown_test(remaps);
	sum = checksum(w, words);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (syscalls) {
		struct timespec s0, s1;

		clock_gettime(CLOCK_MONOTONIC, &s0);
		for (i = 0; i < syscalls; i++)
			if (getppid() < 0)
				CHECK(0, "getppid failed");
		clock_gettime(CLOCK_MONOTONIC, &s1);
		syscall_ns = ((double)(s1.tv_sec - s0.tv_sec) * 1e9 +
			      (double)(s1.tv_nsec - s0.tv_nsec)) / (double)syscalls;
	}
	if (!quiet) {
		printf("tpt-memtest: mib=%" PRIu64 " updates=%" PRIu64 " checksum=%016" PRIx64
		       " child=%016" PRIx64 " ms=%ld update_ms=%ld smaps=%s collapse=%s", mib,
		       updates, sum, child_sum,
		       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
		       (long)((u1.tv_sec - u0.tv_sec) * 1000 + (u1.tv_nsec - u0.tv_nsec) / 1000000),
		       smaps, collapse);
		if (core)
			printf(" buf=%p bytes=%zu", (void *)w, bytes);
		printf("\n");
	}
	if (!quiet && remaps)
		printf("tpt-memtest: remaps=%" PRIu64 " stale=%lu\n", remaps, stale);
	if (!quiet && syscalls)
		printf("tpt-memtest: syscalls=%" PRIu64 " syscall_ns=%.0f\n", syscalls, syscall_ns);
	if (walk) {
		address_walk(walk);
		printf("tpt-memtest: walk=%" PRIu64 " rounds\n", walk);
	}
	if (pageout) {
		long out = page_out(w, bytes, sum);

		if (out < 0)
			printf("tpt-memtest: pageout=unknown of %zu pages\n", bytes / PAGE);
		else
			printf("tpt-memtest: pageout=%ld of %zu pages\n", out, bytes / PAGE);
	}
	if (wait_end) {
		size_t pages = bytes / PAGE;
		/* Frames before the hold, then after it. */
		uint64_t *pfn = calloc(2 * pages, sizeof(*pfn));
		int known = pfn && !read_pfns(w, pages, pfn);
		long moved = 0;
		char how[32] = "unknown";

		wait_usr1("holding");
		CHECK(checksum(w, words) == sum, "the buffer changed while held");
		smaps_summary(w, bytes, smaps, sizeof(smaps));
		known = known && !read_pfns(w, pages, pfn + pages);
		for (i = 0; known && i < pages; i++)
			moved += pfn[i] && pfn[pages + i] && pfn[i] != pfn[pages + i];
		free(pfn);
		if (known)
			snprintf(how, sizeof(how), "%ld", moved);
		printf("tpt-memtest: after_hold smaps=%s moved=%s\n", smaps, how);
	}
	if (core && !failed) {
		fflush(stdout);
		abort();
	}
	return failed;
}
