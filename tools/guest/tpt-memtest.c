/* SPDX-License-Identifier: MIT */
/*
 * tpt-memtest: a memory workload whose result does not depend on how its
 * pages are translated, to compare a process run under TPT with one run
 * without it. Static, runs in a busybox initramfs.
 *
 *   tpt-memtest [-m MIB] [-n UPDATES] [-s SEED] [-S SYSCALLS] [-q]
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
 * Exit status 0 when every internal check held, 1 otherwise (the failed
 * check is printed), 2 for bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ w[i]) * 1099511628211ULL;
	return h;
}

static int usage(void)
{
	fprintf(stderr, "usage: tpt-memtest [-m MIB (1..65536)] [-n UPDATES] [-s SEED] [-S SYSCALLS] [-q]\n");
	return 2;
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
	uint64_t mib = 16, updates = 0, seed = 42, syscalls = 0, s, child_sum = 0, sum;
	double syscall_ns = 0;
	int quiet = 0, opt, status;
	struct timespec t0, t1, u0, u1;
	size_t bytes, words, i;
	uint64_t *w;
	pid_t pid;
	int fds[2];

	while ((opt = getopt(argc, argv, "m:n:s:S:q")) != -1) {
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
		case 'q':
			quiet = 1;
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
		for (i = 0; i < 2 * PAGE / 8; i++)
			if (r[i]) {
				CHECK(0, "DONTNEED page not zero at word %zu", i);
				break;
			}
		for (i = 0; i < 2 * PAGE / 8; i++)
			r[i] = 2 * PAGE / 8 + i;
	}

	/* munmap + mmap of a range: fresh zero pages, then rewritten. */
	if (bytes >= 8 * PAGE) {
		uint64_t *r = w + 4 * PAGE / 8;
		void *p;

		CHECK(!munmap(r, 2 * PAGE), "munmap: %s", strerror(errno));
		p = mmap(r, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		CHECK(p == r, "mmap(MAP_FIXED) failed");
		for (i = 0; i < 2 * PAGE / 8; i++)
			if (r[i]) {
				CHECK(0, "remapped page not zero at word %zu", i);
				break;
			}
		for (i = 0; i < 2 * PAGE / 8; i++)
			r[i] = 4 * PAGE / 8 + i;
	}
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
	if (!quiet)
		printf("tpt-memtest: mib=%" PRIu64 " updates=%" PRIu64 " checksum=%016" PRIx64
		       " child=%016" PRIx64 " ms=%ld update_ms=%ld\n", mib, updates, sum, child_sum,
		       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
		       (long)((u1.tv_sec - u0.tv_sec) * 1000 + (u1.tv_nsec - u0.tv_nsec) / 1000000));
	if (!quiet && syscalls)
		printf("tpt-memtest: syscalls=%" PRIu64 " syscall_ns=%.0f\n", syscalls, syscall_ns);
	return failed;
}
