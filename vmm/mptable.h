/* SPDX-License-Identifier: MIT */
/*
 * Intel MultiProcessor Specification 1.4 table: lists every vCPU (APIC ID =
 * vCPU index), one I/O APIC, the ISA bus and its 16 interrupts, so a guest
 * without ACPI finds all CPUs.
 */
#ifndef TPTVMM_MPTABLE_H
#define TPTVMM_MPTABLE_H

#include <stdint.h>

#include "err.h"
#include "guest_mem.h"

#define MPTABLE_MAX_CPUS	254

/* Writes the floating pointer and the table at gpa (in the EBDA). */
int mptable_write(const struct guest_mem *mem, uint64_t gpa, unsigned int ncpus,
		  struct err *e);

/* Size in bytes of the whole structure for ncpus. */
uint64_t mptable_size(unsigned int ncpus);

/* 8-bit two's-complement checksum helper: sum of all bytes. */
uint8_t mp_sum(const void *p, uint64_t len);

#endif
