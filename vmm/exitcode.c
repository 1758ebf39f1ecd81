/* SPDX-License-Identifier: MIT */
#include "exitcode.h"

const char *exit_name(int status)
{
	switch (status) {
	case EXIT_POWEROFF:
		return "guest powered off";
	case EXIT_VMM_ERROR:
		return "VMM error";
	case EXIT_USAGE:
		return "usage error";
	case EXIT_REBOOT:
		return "guest rebooted";
	case EXIT_TRIPLE_FAULT:
		return "guest triple fault";
	case EXIT_PANIC:
		return "guest kernel panic";
	case EXIT_USER_QUIT:
		return "quit from console (Ctrl-A x)";
	case EXIT_SIGNAL:
		return "stopped by signal";
	case EXIT_GUEST_FAIL:
		return "guest reported failure on the debug-exit port";
	case EXIT_GUEST_HALT:
		return "guest halted";
	case EXIT_TIMEOUT:
		return "guest still running at --timeout";
	default:
		return "unknown";
	}
}
