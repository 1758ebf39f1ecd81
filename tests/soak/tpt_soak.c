/* SPDX-License-Identifier: MIT */
/*
 * Soak: creates, runs and destroys a VM CYCLES times in one process with
 * tiny guests that end every way a guest can (debug-exit, kernel panic,
 * triple fault, spinning until --timeout), and checks that each ends with
 * its own exit status and that nothing accumulates: the open fds after
 * every cycle equal those before the first, and RSS stays flat. Built with
 * AddressSanitizer and LeakSanitizer, so a leak fails the process at exit
 * (run with a small ASan quarantine, quarantine_size_mb=4, or freed memory
 * held for use-after-free detection looks like growth). ASan's own count
 * of live heap bytes must stay flat too: reachable memory that piles up
 * is no leak to LeakSanitizer. Transparent huge pages are off for the
 * process: khugepaged, whenever it comes by, would turn one touched page
 * of an ASan region into 2 MiB of RSS (seen: +6 to +7 MiB at a random
 * cycle in a 200-cycle run, with the live heap flat).
 *
 *   tpt_soak GUEST_DIR CYCLES [KVM_DEVICE]
 *
 * Exit status 0 all good, 1 a check failed, 77 no usable KVM.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cli.h"
#include "exitcode.h"
#include "util.h"
#include "vm.h"

struct soak_case {
	const char *guest, *mode, *extra;
	int status;
	unsigned int every;	/* run on cycles where cycle % every == 0 */
};

static const struct soak_case cases[] = {
	{ "long_hello.bin", "long", NULL, EXIT_POWEROFF, 1 },
	{ "real_panic.bin", "real", NULL, EXIT_PANIC, 3 },
	{ "long_triple.bin", "long", NULL, EXIT_TRIPLE_FAULT, 3 },
	{ "real_hello.bin", "real", NULL, EXIT_REBOOT, 5 },
	{ "long_spin.bin", "long", "1", EXIT_TIMEOUT, 50 },
};

static void kick(int sig)
{
	(void)sig;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* A "Name: N kB" field of /proc/self/status, -1 if absent. */
static long status_kb(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(name);
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':' &&
		    sscanf(line + n + 1, " %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static long rss_kb(void)
{
	return status_kb("VmRSS");
}

/* ASan's allocator statistics (sanitizer/allocator_interface.h); weak, so
 * that a build without ASan still links. */
size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));
size_t __sanitizer_get_heap_size(void) __attribute__((weak));

/* Live heap in kB by ASan's count, -1 without ASan. */
static long live_kb(void)
{
	if (!__sanitizer_get_current_allocated_bytes)
		return -1;
	return (long)(__sanitizer_get_current_allocated_bytes() / 1024);
}

/* Heap ASan has mapped in kB, -1 without ASan. */
static long heap_kb(void)
{
	if (!__sanitizer_get_heap_size)
		return -1;
	return (long)(__sanitizer_get_heap_size() / 1024);
}

/* Where the memory is, so that growth explains itself. */
static void print_mem(unsigned long cycle)
{
	printf("SOAK-MEM cycle %lu: rss %ld kB (anon %ld, file %ld), threads %ld, heap live %ld kB of %ld kB mapped\n",
	       cycle, rss_kb(), status_kb("RssAnon"), status_kb("RssFile"), status_kb("Threads"),
	       live_kb(), heap_kb());
}

/* One VM from start to end; returns its exit status, or -1. */
static int one_vm(const char *dir, const struct soak_case *c, const char *kvm)
{
	char path[4096];
	char *argv[16];
	int argc = 0, status;
	struct vm_config cfg;
	struct err e = { { 0 } };
	struct vm *vm;
	FILE *devnull = fopen("/dev/null", "w");

	snprintf(path, sizeof(path), "%s/%s", dir, c->guest);
	argv[argc++] = "tptvmm";
	argv[argc++] = "--raw";
	argv[argc++] = path;
	argv[argc++] = "--raw-mode";
	argv[argc++] = (char *)c->mode;
	argv[argc++] = "--mem";
	argv[argc++] = "32M";
	argv[argc++] = "--quiet";
	argv[argc++] = "--kvm-device";
	argv[argc++] = (char *)kvm;
	if (c->extra) {
		argv[argc++] = "--timeout";
		argv[argc++] = (char *)c->extra;
	}
	argv[argc] = NULL;
	if (cli_parse(argc, argv, &cfg, 0, devnull, &e) != CLI_RUN) {
		fprintf(stderr, "soak: %s\n", e.msg);
		fclose(devnull);
		return -1;
	}
	fclose(devnull);
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -1;
	if (vm_create(vm, &cfg, monotonic_ms(), &e)) {
		fprintf(stderr, "soak: %s\n", e.msg);
		free(vm);
		return -1;
	}
	status = vm_run(vm, &e);
	vm_destroy(vm);
	free(vm);
	return status;
}

int main(int argc, char **argv)
{
	const char *kvm = argc > 3 ? argv[3] : "/dev/kvm";
	unsigned long cycles, runs[sizeof(cases) / sizeof(cases[0])] = { 0 };
	struct sigaction sa;
	sigset_t set;
	int fds0, fds, bad = 0;
	long rss10 = 0, rss, live10 = -1, live;

	if (argc < 3 || (cycles = strtoul(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: tpt_soak GUEST_DIR CYCLES [KVM_DEVICE]\n");
		return 2;
	}
	if (access(kvm, R_OK | W_OK)) {
		printf("SKIP soak: %s: %s\n", kvm, strerror(errno));
		return 77;
	}
	/* As in main.c: vCPU threads take SIGUSR1 kicks, nothing else. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick;
	sigaction(SIGUSR1, &sa, NULL);

	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		perror("soak: PR_SET_THP_DISABLE");
	fds0 = count_fds();
	for (unsigned long i = 0; i < cycles; i++) {
		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			const struct soak_case *c = &cases[k];
			int st;

			if (i % c->every)
				continue;
			st = one_vm(argv[1], c, kvm);
			runs[k]++;
			if (st != c->status) {
				printf("FAIL soak cycle %lu: %s ended with status %d, expected %d\n",
				       i, c->guest, st, c->status);
				bad++;
			}
		}
		fds = count_fds();
		if (fds != fds0) {
			printf("FAIL soak cycle %lu: %d open fds, %d before the first VM\n", i, fds, fds0);
			bad++;
		}
		if (i == 9) {
			rss10 = rss_kb();
			live10 = live_kb();
		}
		if (i % 20 == 9)
			print_mem(i + 1);
		if (bad > 10)
			break;
	}
	rss = rss_kb();
	live = live_kb();
	/* A leak of 200 bytes per cycle of reachable memory crosses this. */
	if (live10 >= 0 && live - live10 > 32) {
		printf("FAIL soak: live heap grew from %ld kB (cycle 10) to %ld kB\n", live10, live);
		bad++;
	}
	/* Allocator caches settle in the first cycles; after that, flat. */
	if (rss10 > 0 && rss - rss10 > 8192) {
		printf("FAIL soak: RSS grew from %ld kB (cycle 10) to %ld kB\n", rss10, rss);
		bad++;
	}
	printf("%s soak: %lu cycles, VMs run:", bad ? "FAIL" : "PASS", cycles);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		printf(" %s=%lu", cases[k].guest, runs[k]);
	printf("; fds %d -> %d; rss_kb %ld (cycle 10) -> %ld; live heap kB %ld -> %ld\n", fds0,
	       count_fds(), rss10, rss, live10, live);
	return bad ? 1 : 0;
}
