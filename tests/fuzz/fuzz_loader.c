/* SPDX-License-Identifier: MIT */
/* libFuzzer target: an arbitrary file as --kernel (bzImage or ELF), then
 * boot_params setup with the same bytes as initrd and the input's tail as
 * the command line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_mem.h"
#include "loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem *mem = fuzz_guest_mem(64ULL << 20);
	struct boot_info bi;
	enum kernel_kind kind;
	struct err e;
	char cmdline[65];
	size_t n = size < 64 ? size : 64;
	int r;

	memcpy(cmdline, data + size - n, n);
	cmdline[n] = '\0';
	memset(&bi, 0, sizeof(bi));
	if (kernel_check(data, size, &kind, &e))
		return 0;
	if (kind == KERNEL_BZIMAGE)
		r = load_bzimage(mem, data, size, &bi, &e);
	else
		r = load_elf(mem, data, size, &bi, &e);
	if (r == 0)
		setup_boot_params(mem, &bi, cmdline, data, size, &e);
	return 0;
}
