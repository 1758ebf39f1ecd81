/* SPDX-License-Identifier: MIT */
/* Process exit statuses of tptvmm; documented in README.md and --help. */
#ifndef TPTVMM_EXITCODE_H
#define TPTVMM_EXITCODE_H

enum tptvmm_exit {
	EXIT_POWEROFF = 0,	/* guest powered off, or debug-exit 0 */
	EXIT_VMM_ERROR = 1,	/* bad input, missing /dev/kvm, KVM failure */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_REBOOT = 3,	/* guest asked for reset (i8042 0xfe) */
	EXIT_TRIPLE_FAULT = 4,	/* KVM_EXIT_SHUTDOWN */
	EXIT_PANIC = 5,		/* guest kernel panic seen on the console */
	EXIT_USER_QUIT = 6,	/* Ctrl-A x on the console */
	EXIT_SIGNAL = 7,	/* SIGINT/SIGTERM/SIGHUP to tptvmm */
	EXIT_GUEST_FAIL = 10,	/* debug-exit port written with non-zero */
	EXIT_GUEST_HALT = 11,	/* guest halted for good (no in-kernel irqchip) */
	EXIT_TIMEOUT = 12,	/* --timeout passed with the guest still running */
};

const char *exit_name(int status);

#endif
