/* SPDX-License-Identifier: MIT */
/*
 * tpt-memtest: a memory workload whose result does not depend on how its
 * pages are translated, to compare a process run under TPT with one run
 * without it. Static, runs in a busybox initramfs.
 *
 *   tpt-memtest [-m MIB] [-n UPDATES] [-s SEED] [-S SYSCALLS] [-t REMAPS] [-q]
 *               [-w] [-W] [-C]
 *
 * It maps MIB MiB, writes a pseudo-random pattern with random-order
 * 64-bit updates, forks (the child reads everything back through
 * copy-on-write pages and checksums it, then writes to some pages, which
 * the parent must not see), uses mprotect (read-only then writable
 * again), madvise(MADV_DONTNEED) on a range (which must read back as
 * zeroes), munmap + mmap of a range, and MADV_HUGEPAGE on a 2 MiB-aligned
 * region, and finally prints one checksum over everything:
 *
 *   tpt-memtest: mib=M updates=N checksum=HEX child=HEX ms=T update_ms=U
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
 * holding pid=P" after its work and waits for SIGUSR1 before it exits
 * (time to look at it while it is alive). -C ends the run with abort(),
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tpt-fnv.h"

#define PAGE 4096UL
#define HUGE (2UL << 20)

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
	fprintf(stderr, "usage: tpt-memtest [-m MIB (1..65536)] [-n UPDATES] [-s SEED] [-S SYSCALLS] [-t REMAPS] [-q] [-w] [-W] [-C]\n");
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

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t mib = 16, updates = 0, seed = 42, syscalls = 0, remaps = 0, s, child_sum = 0, sum;
	unsigned long stale = 0;
	char smaps[128];
	double syscall_ns = 0;
	int quiet = 0, wait_start = 0, wait_end = 0, core = 0, opt, status;
	sigset_t usr1;
	struct timespec t0, t1, u0, u1;
	size_t bytes, words, i;
	uint64_t *w;
	pid_t pid;
	int fds[2];

	while ((opt = getopt(argc, argv, "m:n:s:S:t:qwWC")) != -1) {
		switch (opt) {
		case 'm':
			if (parse_u64(optarg, &mib) || !mib || mib > 65536)
				return usage();
			break;
		case 'n':
			if (parse_u64(optarg, &updates))
				return usage();
			break;
		case 's':
			if (parse_u64(optarg, &seed) || !seed)
				return usage();
			break;
		case 'S':
			if (parse_u64(optarg, &syscalls) || syscalls > 100000000)
				return usage();
			break;
		case 't':
			if (parse_u64(optarg, &remaps) || remaps > 10000000)
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
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
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
		       " child=%016" PRIx64 " ms=%ld update_ms=%ld smaps=%s", mib, updates, sum,
		       child_sum,
		       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
		       (long)((u1.tv_sec - u0.tv_sec) * 1000 + (u1.tv_nsec - u0.tv_nsec) / 1000000),
		       smaps);
		if (core)
			printf(" buf=%p bytes=%zu", (void *)w, bytes);
		printf("\n");
	}
	if (!quiet && remaps)
		printf("tpt-memtest: remaps=%" PRIu64 " stale=%lu\n", remaps, stale);
	if (!quiet && syscalls)
		printf("tpt-memtest: syscalls=%" PRIu64 " syscall_ns=%.0f\n", syscalls, syscall_ns);
	if (wait_end)
		wait_usr1("holding");
	if (core && !failed) {
		fflush(stdout);
		abort();
	}
	return failed;
}
