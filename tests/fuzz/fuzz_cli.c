/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the command line parser; the input is split at NUL
 * bytes into arguments. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[MAX_ARGS + 2];
	struct vm_config cfg;
	struct err e;
	FILE *out;
	int argc = 1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "tptvmm";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; ) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	out = fopen("/dev/null", "w");
	if (out) {
		cli_parse(argc, argv, &cfg, 8ULL << 30, out, &e);
		fclose(out);
	}
	free(buf);
	return 0;
}
