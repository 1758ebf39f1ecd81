/* SPDX-License-Identifier: MIT */
/*
 * Pointer-chasing latency over growing working sets, one node per 4 KiB
 * page, so every step needs a new translation: once the working set
 * outgrows the TLB, each step pays a page walk (two-dimensional under
 * nested paging). Static, runs in a busybox initramfs.
 *
 *   tpt-ptrchase [-m MAX_MIB] [-n STEPS] [-s SEED]
 *
 * For working sets of 1, 2, 4, ... MAX_MIB MiB (default 64) it links the
 * pages into one random cycle (the same for a given seed everywhere) and
 * follows it STEPS times (default 200000), after one untimed lap that
 * faults every page in. Prints one line:
 *
 *   tpt-ptrchase: max_mib=M steps=N checksum=C ms=T update_ms=U lat=1M:ns,2M:ns,...
 *
 * ms is the whole run, update_ms the timed chases alone, lat the mean
 * nanoseconds per step for each working set; the checksum (the pages the
 * chases ended on) is the same in every paging mode. Exit 2 on bad usage,
 * 1 if memory cannot be had.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096UL

static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	*v = strtoull(s, &end, 0);
	return *end ? -1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: tpt-ptrchase [-m MAX_MIB (1..65536)] [-n STEPS (1..10^9)] [-s SEED]\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t max_mib = 64, steps = 200000, seed = 42, sum = 0;
	char lat[4096] = "";
	size_t latlen = 0;
	double t0 = now_ns(), timed = 0;

	for (int i = 1; i < argc; i++) {
		uint64_t *dst = !strcmp(argv[i], "-m") ? &max_mib : !strcmp(argv[i], "-n") ? &steps :
				!strcmp(argv[i], "-s") ? &seed : NULL;

		if (!dst || i + 1 >= argc || parse_u64(argv[++i], dst))
			return usage();
	}
	if (!max_mib || max_mib > 65536 || !steps || steps > 1000000000 || !seed)
		return usage();
	for (uint64_t mib = 1; mib <= max_mib; mib *= 2) {
		size_t pages = (size_t)(mib << 20) / PAGE;
		uint8_t *buf = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint32_t *order = malloc(pages * sizeof(*order));
		uint64_t s = seed + mib, at;
		double t;

		if (buf == MAP_FAILED || !order) {
			fprintf(stderr, "tpt-ptrchase: no memory for %" PRIu64 " MiB\n", mib);
			return 1;
		}
		/* No huge pages: one translation per page is the point. */
		madvise(buf, pages * PAGE, MADV_NOHUGEPAGE);
		for (size_t i = 0; i < pages; i++)
			order[i] = (uint32_t)i;
		for (size_t i = pages - 1; i > 0; i--) {
			size_t j = (size_t)(next(&s) % (i + 1));
			uint32_t x = order[i];

			order[i] = order[j];
			order[j] = x;
		}
		/* Each page holds the offset of the next page of the cycle, at a
		 * varying line so the caches do not alias every node. */
		for (size_t i = 0; i < pages; i++) {
			size_t from = order[i], to = order[(i + 1) % pages];
			uint64_t *slot = (uint64_t *)(buf + from * PAGE + (from % 64) * 64);

			*slot = to * PAGE + (to % 64) * 64;
		}
		at = order[0] * PAGE + (order[0] % 64) * 64;
		for (size_t i = 0; i < pages; i++)	/* untimed lap: faults */
			at = *(volatile uint64_t *)(buf + at);
		t = now_ns();
		for (uint64_t i = 0; i < steps; i++)
			at = *(volatile uint64_t *)(buf + at);
		t = now_ns() - t;
		timed += t;
		sum = sum * 1000003 + at / PAGE;
		latlen += (size_t)snprintf(lat + latlen, sizeof(lat) - latlen, "%s%" PRIu64 "M:%.1f",
					   latlen ? "," : "", mib, t / (double)steps);
		munmap(buf, pages * PAGE);
		free(order);
		if (latlen >= sizeof(lat))
			break;
	}
	printf("tpt-ptrchase: max_mib=%" PRIu64 " steps=%" PRIu64 " checksum=%016" PRIx64
	       " ms=%.0f update_ms=%.0f lat=%s\n", max_mib, steps, sum, (now_ns() - t0) / 1e6,
	       timed / 1e6, lat);
	return 0;
}
