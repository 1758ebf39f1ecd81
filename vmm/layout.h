/* SPDX-License-Identifier: MIT */
/*
 * The guest's address, port and IRQ map: every guest-physical address,
 * I/O port and interrupt line tptvmm uses is defined here and nowhere
 * else (the hand-written test guests in tests/guests/ repeat a few ports).
 *
 * Guest-physical memory
 *   0x00000000 +0x500    real-mode IVT and BDA (left zero)
 *   0x00000500 +0x28     boot GDT (5 entries: null, null, code 0x10, data 0x18, TSS 0x20)
 *   0x00007000 +0x1000   Linux boot_params (zero page); RSI at the 64-bit entry
 *   0x00008ff0 (down)    boot stack (RSP at the 64-bit entry)
 *   0x00009000 +0x1000   boot PML4
 *   0x0000a000 +0x1000   boot PDPT
 *   0x0000b000 +0x4000   boot page directories: identity map of 4 GiB in 2 MiB pages
 *   0x00010000           --raw default load address
 *   0x00020000 +0x10000  kernel command line
 *   0x0009fc00 +0x400    EBDA: MP floating pointer and MP table
 *   0x000a0000 ..1 MiB   reserved in e820 (VGA hole, BIOS area)
 *   0x000e0000 +0x10000  ACPI tables, RSDP first (found by the BIOS-area scan)
 *   0x00100000           bzImage protected-mode part; RAM continues to 3 GiB
 *   0xc0000000 ..4 GiB   32-bit MMIO hole (no RAM):
 *   0xd0000000 +0x1000*n   virtio-mmio device n (n < VM_MAX_VIRTIO), 0x200 used each
 *   0xfec00000             IOAPIC (KVM's in-kernel irqchip)
 *   0xfee00000             local APICs (in KVM)
 *   0xfffbc000 +0x1000     KVM's identity-map page (VMX real mode), 0xfffbd000 +0x3000 its TSS
 *   0x100000000 ..       RAM above 3 GiB, in memslots of at most 16 GiB
 *
 * I/O ports                              ISA IRQs (PIC pin n, IOAPIC pin n)
 *   0x0040 +4  PIT (in KVM)                0    PIT, on IOAPIC pin 2 (override)
 *   0x0060     i8042 data                  2    PIC cascade, not routed
 *   0x0064     i8042 command/status        4    COM1
 *   0x03f8 +8  COM1 16550A UART            9    ACPI SCI
 *   0x0500     debug mark (outb V)         5, 6, 7, 10, 11, 12, 14, 15
 *   0x0501     debug exit (outb V)              virtio-mmio devices 0..7, in order
 *   0x0600 +4  ACPI PM1a event block
 *   0x0604 +2  ACPI PM1a control (S5)
 */
#ifndef TPTVMM_LAYOUT_H
#define TPTVMM_LAYOUT_H

/* Boot structures (below 1 MiB). */
#define BOOT_GDT_ADDR		0x500ULL
#define BOOT_GDT_ENTRIES	5
#define BOOT_PARAMS_ADDR	0x7000ULL
#define BOOT_STACK_ADDR		0x8ff0ULL
#define BOOT_PML4_ADDR		0x9000ULL
#define BOOT_PDPT_ADDR		0xa000ULL
#define BOOT_PD_ADDR		0xb000ULL	/* 4 pages: identity map 4 GiB */
#define BOOT_CMDLINE_ADDR	0x20000ULL
#define BOOT_CMDLINE_MAX	0x10000ULL
#define BOOT_REAL_SP		0xfff0ULL	/* real-mode SP, in the load segment */
#define EBDA_START		0x9fc00ULL	/* MP table lives here */
#define ACPI_TABLES_ADDR	0xe0000ULL	/* RSDP first: BIOS-area scan */
#define ACPI_TABLES_MAX		0x10000ULL
#define BIOS_END		0x100000ULL
#define KERNEL_LOAD_ADDR	0x100000ULL	/* bzImage protected-mode part */
#define RAW_LOAD_ADDR_DEFAULT	0x10000ULL

#define BOOT_CS_SELECTOR	0x10
#define BOOT_DS_SELECTOR	0x18
#define BOOT_TSS_SELECTOR	0x20

/* The 32-bit MMIO hole and what lives in it. */
#define MMIO_HOLE_START		0xc0000000ULL	/* 3 GiB */
#define MMIO_HOLE_END		0x100000000ULL	/* 4 GiB */
#define VIRTIO_MMIO_BASE	0xd0000000ULL	/* device n at + n * stride */
#define VIRTIO_MMIO_STRIDE	0x1000ULL
#define IOAPIC_ADDR		0xfec00000u
#define LAPIC_ADDR		0xfee00000u
#define KVM_IDENTITY_MAP_ADDR	0xfffbc000ULL	/* one page */
#define KVM_TSS_ADDR		0xfffbd000ULL	/* three pages */

/* I/O ports. */
#define I8042_DATA_PORT		0x60
#define I8042_CMD_PORT		0x64
#define UART_COM1_PORT		0x3f8
#define DEBUG_MARK_PORT		0x500	/* outb V: timestamped guest mark */
#define DEBUG_EXIT_PORT		0x501	/* outb V: end the VM (0 = success) */
#define DEBUG_STATE_PORT	0x502	/* outb V: nested-state round trip */
#define ACPI_PM1A_EVT_PORT	0x600
#define ACPI_PM1A_CNT_PORT	0x604
#define ACPI_PM_PORTS_LEN	6

/* ISA IRQs. */
#define PIT_IRQ			0
#define UART_COM1_IRQ		4
#define ACPI_SCI_IRQ		9
/* One for each virtio-mmio device, in order; nothing else uses them. */
#define VIRTIO_IRQS		{ 5, 6, 7, 10, 11, 12, 14, 15 }

/* The IOAPIC pin ISA IRQ @irq is wired to, or -1 for IRQ 2 (the PIC
 * cascade): the one place that says so for the routing, MADT and MP table. */
static inline int isa_irq_ioapic_pin(unsigned int irq)
{
	return irq == 2 ? -1 : irq == PIT_IRQ ? 2 : (int)irq;
}

#endif
