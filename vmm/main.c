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
#include "report.h"
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

/* Writes the --report file (if any) and closes it; an error is printed,
 * never silent, but does not change the exit status. */
static void finish_report(FILE *f, const char *path, const struct report *r)
{
	int bad;

	if (!f)
		return;
	bad = report_write(f, r);
	if (fclose(f) || bad)
		fprintf(stderr, "tptvmm: --report %s: cannot write the report: %s\n",
			path, strerror(errno ? errno : EIO));
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
	struct report rep;
	FILE *rep_f = NULL;
	double end_ms;
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
	report_init(&rep, &cfg);
	/* Opened now, so a bad path fails before the guest runs. */
	if (cfg.report) {
		rep_f = fopen(cfg.report, "we");
		if (!rep_f) {
			fprintf(stderr, "tptvmm: --report %s: cannot create the report file: %s\n",
				cfg.report, strerror(errno));
			return EXIT_VMM_ERROR;
		}
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
		err_set(&e, "out of memory");
		goto early_fail;
	}
	if (vm_create(vm, &cfg, t0, &e)) {
		free(vm);
		goto early_fail;
	}
	if (pthread_create(&sig_thr, NULL, signal_thread, vm)) {
		err_set(&e, "cannot start the signal thread");
		vm_destroy(vm);
		free(vm);
		goto early_fail;
	}
	if (cfg.tpt && !cfg.quiet)
		fprintf(stderr, "tptvmm: TPT enabled (%s mode)\n", tpt_mode_name(cfg.tpt_mode));

	status = vm_run(vm, &e);
	rep.reason = vm->exit_detail;
	if (status < 0) {
		fprintf(stderr, "tptvmm: %s\n", e.msg);
		status = EXIT_VMM_ERROR;
		rep.reason = e.msg;
	}
	pthread_cancel(sig_thr);
	pthread_join(sig_thr, NULL);

	end_ms = monotonic_ms() - t0;
	if (!cfg.quiet || status == EXIT_VMM_ERROR)
		fprintf(stderr, "\ntptvmm: %s (%s); exit status %d, %.1f ms\n",
			exit_name(status), vm->exit_detail, status, end_ms);
	if (!cfg.quiet)
		virtio_vm_print_stats(&vm->virtio, stderr);
	rep.status = status;
	rep.exit_ms = end_ms;
	vm_report(vm, &rep);
	if (cfg.tpt && !cfg.quiet) {
		if (rep.tpt_stats_ok)
			tpt_print_stats(stderr, rep.tpt_vm, rep.nr_tpt_vm, rep.tpt_vcpus,
					rep.nr_tpt_vcpus, rep.vcpus);
		else
			fprintf(stderr, "tptvmm: TPT statistics unavailable: %s\n",
				rep.tpt_stats_error);
	}
	finish_report(rep_f, cfg.report, &rep);
	vm_destroy(vm);
	free(vm);
	return status;

early_fail:
	/* The VM never ran: the report says why, with what was asked for. */
	fprintf(stderr, "tptvmm: %s\n", e.msg);
	rep.status = EXIT_VMM_ERROR;
	rep.reason = e.msg;
	rep.exit_ms = monotonic_ms() - t0;
	finish_report(rep_f, cfg.report, &rep);
	return EXIT_VMM_ERROR;
}
