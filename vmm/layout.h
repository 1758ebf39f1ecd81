/* SPDX-License-Identifier: MIT */
/* Fixed guest-physical addresses used at boot (all below 1 MiB unless noted). */
#ifndef TPTVMM_LAYOUT_H
#define TPTVMM_LAYOUT_H

#define BOOT_GDT_ADDR		0x500ULL
#define BOOT_GDT_ENTRIES	5
#define BOOT_PARAMS_ADDR	0x7000ULL
#define BOOT_STACK_ADDR		0x8ff0ULL
#define BOOT_PML4_ADDR		0x9000ULL
#define BOOT_PDPT_ADDR		0xa000ULL
#define BOOT_PD_ADDR		0xb000ULL	/* 4 pages: identity map 4 GiB */
#define BOOT_CMDLINE_ADDR	0x20000ULL
#define BOOT_CMDLINE_MAX	0x10000ULL
#define EBDA_START		0x9fc00ULL	/* MP table lives here */
#define BIOS_END		0x100000ULL
#define KERNEL_LOAD_ADDR	0x100000ULL	/* bzImage protected-mode part */
#define RAW_LOAD_ADDR_DEFAULT	0x10000ULL

#define MMIO_HOLE_START		0xc0000000ULL	/* 3 GiB */
#define MMIO_HOLE_END		0x100000000ULL	/* 4 GiB */

#define BOOT_CS_SELECTOR	0x10
#define BOOT_DS_SELECTOR	0x18
#define BOOT_TSS_SELECTOR	0x20

/* Ports of tptvmm's own devices. */
#define UART_COM1_PORT		0x3f8
#define UART_COM1_IRQ		4
#define I8042_DATA_PORT		0x60
#define I8042_CMD_PORT		0x64
#define DEBUG_MARK_PORT		0x500	/* outb V: timestamped guest mark */
#define DEBUG_EXIT_PORT		0x501	/* outb V: end the VM (0 = success) */

#endif
