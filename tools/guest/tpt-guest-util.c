/* SPDX-License-Identifier: MIT */
/*
 * Runs inside a tptvmm guest (static, no dependencies):
 *   tpt-guest-util mark V   outb V to tptvmm's debug-mark port (0x500)
 *   tpt-guest-util exit V   outb V to the debug-exit port (0x501): ends the VM
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>

#define DEBUG_MARK_PORT 0x500
#define DEBUG_EXIT_PORT 0x501

static int usage(void)
{
	fprintf(stderr, "usage: tpt-guest-util mark|exit VALUE (0..255)\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned short port;
	char *end;
	long v;

	if (argc != 3)
		return usage();
	if (!strcmp(argv[1], "mark"))
		port = DEBUG_MARK_PORT;
	else if (!strcmp(argv[1], "exit"))
		port = DEBUG_EXIT_PORT;
	else
		return usage();
	errno = 0;
	v = strtol(argv[2], &end, 0);
	if (errno || *end || v < 0 || v > 255)
		return usage();
	if (ioperm(DEBUG_MARK_PORT, 2, 1)) {
		perror("tpt-guest-util: ioperm");
		return 1;
	}
	outb((unsigned char)v, port);
	return 0;
}
