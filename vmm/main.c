/* SPDX-License-Identifier: MIT */
/* tptvmm: boots Linux (or a tiny test guest) directly on /dev/kvm. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "exitcode.h"
#include "tpt.h"
#include "util.h"
#include "vm.h"

static void kick_handler(int sig)
{
	(void)sig;	/* only interrupts KVM_RUN */
}

static void *signal_thread(void *arg)
{
	struct vm *vm = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigwait(&set, &sig) == 0)
		vm_request_exit(vm, EXIT_SIGNAL, "stopped by signal %d (%s)",
				sig, strsignal(sig));
	return NULL;
}

static uint64_t host_ram_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	return pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
}

int main(int argc, char **argv)
{
	struct vm *vm;
	struct vm_config cfg;
	struct sigaction sa;
	struct err e = { { 0 } };
	sigset_t set;
	pthread_t sig_thr;
	double t0 = monotonic_ms();
	int status;

	switch (cli_parse(argc, argv, &cfg, host_ram_bytes(), stdout, &e)) {
	case CLI_EXIT_OK:
		return 0;
	case CLI_ERROR:
		fprintf(stderr, "tptvmm: %s\n", e.msg);
		return EXIT_USAGE;
	case CLI_RUN:
		break;
	}

	/* Threads inherit this mask: termination signals go to signal_thread,
	 * SIGUSR1 is unblocked by vCPU threads only. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: KVM_RUN returns EINTR */
	signal(SIGPIPE, SIG_IGN);

	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		fprintf(stderr, "tptvmm: out of memory\n");
		return EXIT_VMM_ERROR;
	}
	if (vm_create(vm, &cfg, t0, &e)) {
		fprintf(stderr, "tptvmm: %s\n", e.msg);
		free(vm);
		return EXIT_VMM_ERROR;
	}
	if (pthread_create(&sig_thr, NULL, signal_thread, vm)) {
		fprintf(stderr, "tptvmm: cannot start the signal thread\n");
		vm_destroy(vm);
		free(vm);
		return EXIT_VMM_ERROR;
	}
	if (cfg.tpt && !cfg.quiet)
		fprintf(stderr, "tptvmm: TPT enabled (%s mode)\n", tpt_mode_name(cfg.tpt_mode));

	status = vm_run(vm, &e);
	if (status < 0) {
		fprintf(stderr, "tptvmm: %s\n", e.msg);
		status = EXIT_VMM_ERROR;
	}
	pthread_cancel(sig_thr);
	pthread_join(sig_thr, NULL);

	if (!cfg.quiet || status == EXIT_VMM_ERROR)
		fprintf(stderr, "\ntptvmm: %s (%s); exit status %d, %.1f ms\n",
			exit_name(status), vm->exit_detail, status,
			monotonic_ms() - t0);
	if (!cfg.quiet)
		virtio_vm_print_stats(&vm->virtio, stderr);
	if (cfg.tpt && !cfg.quiet) {
		int fds[VM_MAX_CPUS];

		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			fds[i] = vm->vcpus[i].fd;
		if (tpt_print_stats(stderr, vm->vm_fd, fds, vm->nr_vcpus, &e))
			fprintf(stderr, "tptvmm: TPT statistics unavailable: %s\n", e.msg);
	}
	vm_destroy(vm);
	free(vm);
	return status;
}
