/* SPDX-License-Identifier: MIT */
#ifndef TPTVMM_CLI_H
#define TPTVMM_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "err.h"

enum cli_result { CLI_RUN = 0, CLI_EXIT_OK = 1, CLI_ERROR = -1 };

/*
 * Parses argv into cfg. host_ram is the host's physical memory in bytes
 * (0 = unknown, no check). Help and version go to out.
 */
enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg,
			  uint64_t host_ram, FILE *out, struct err *e);
void cli_usage(FILE *out);

#endif
