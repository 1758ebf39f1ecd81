/* SPDX-License-Identifier: MIT */
/*
 * Kernel loading: a Linux bzImage through the 64-bit boot protocol
 * (>= 2.12, XLF_KERNEL_64), an uncompressed ELF vmlinux, or a raw flat
 * binary for tiny test guests. Everything is written through guest_ptr()
 * so a file can never make the loader write outside guest RAM.
 */
#ifndef TPTVMM_LOADER_H
#define TPTVMM_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"	/* enum cpu_start_mode */
#include "err.h"
#include "guest_mem.h"

enum kernel_kind { KERNEL_BZIMAGE, KERNEL_ELF, KERNEL_RAW };

struct boot_info {
	enum kernel_kind kind;
	enum cpu_start_mode mode;
	uint64_t entry;		/* guest-physical RIP */
	uint64_t boot_params;	/* RSI at entry, 0 if none */
	uint64_t kernel_start, kernel_end;
	uint64_t initrd_addr, initrd_size;
	uint32_t cmdline_max;	/* including the NUL */
	uint16_t protocol;	/* bzImage only */
};

/* Detects the kind of image from its first bytes; -1 if unrecognised. */
int kernel_detect(const uint8_t *img, size_t len, enum kernel_kind *kind);

/* Validates headers without loading; for early, KVM-less input errors. */
int kernel_check(const uint8_t *img, size_t len, enum kernel_kind *kind,
		 struct err *e);

int load_bzimage(const struct guest_mem *mem, const uint8_t *img, size_t len,
		 struct boot_info *bi, struct err *e);
int load_elf(const struct guest_mem *mem, const uint8_t *img, size_t len,
	     struct boot_info *bi, struct err *e);
int load_raw(const struct guest_mem *mem, const uint8_t *img, size_t len,
	     uint64_t gpa, enum cpu_start_mode mode, struct boot_info *bi,
	     struct err *e);

/*
 * After a bzImage or ELF load: places the initrd (may be NULL), writes the
 * command line (rejecting one longer than the kernel accepts) and the e820
 * map into boot_params.
 */
int setup_boot_params(const struct guest_mem *mem, struct boot_info *bi,
		      const char *cmdline, const uint8_t *initrd,
		      size_t initrd_len, struct err *e);

/* GDT and identity page tables (4 GiB, 2 MiB pages) for 64-bit entry. */
int setup_long_mode_tables(const struct guest_mem *mem, struct err *e);

#endif
