/* SPDX-License-Identifier: MIT */
/*
 * Minimal ACPI tables so guests with ACPI (most distribution kernels, which
 * lack MP-table parsing) find every vCPU and can power off:
 * RSDP -> XSDT -> { FADT -> { DSDT with \_S5, FACS }, MADT }.
 * Power-off arrives as SLP_TYP=5|SLP_EN on PM1a_CNT (acpi_pm.c); the FADT
 * reset register points at the i8042 (0x64 <- 0xfe).
 */
#ifndef TPTVMM_ACPI_H
#define TPTVMM_ACPI_H

#include <stdint.h>

#include "err.h"
#include "guest_mem.h"
#include "layout.h"

#define ACPI_S5_SLP_TYP		5

/* Writes all tables at ACPI_TABLES_ADDR; returns the RSDP address in *rsdp. */
int acpi_write_tables(const struct guest_mem *mem, unsigned int ncpus,
		      uint64_t *rsdp, struct err *e);

/* Byte sum, for checksums (a valid table sums to 0). */
uint8_t acpi_sum(const void *p, uint64_t len);

#endif
