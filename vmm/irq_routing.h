/* SPDX-License-Identifier: MIT */
#ifndef TPTVMM_IRQ_ROUTING_H
#define TPTVMM_IRQ_ROUTING_H

#include <linux/kvm.h>

#include "err.h"
#include "layout.h"

/*
 * GSI routing for the in-kernel irqchip, matching the tables the guest
 * reads (ACPI MADT interrupt source override and MP table): ISA IRQ n goes
 * to PIC pin n and to IOAPIC pin n, except that the PIT's IRQ 0 goes to
 * IOAPIC pin 2 and IRQ 2 (the PIC cascade) is not routed. GSIs 16..23 are
 * IOAPIC-only. KVM's default routing sends GSI 0 to IOAPIC pin 0, which
 * disagrees with the override and leaves the PIT's interrupt unacknowledged
 * in APIC mode.
 */
#define IRQ_ROUTING_IOAPIC_PINS	24
#define IRQ_ROUTING_MAX		(IRQ_ROUTING_IOAPIC_PINS + 16)

struct irq_routing_table {
	unsigned int nr;
	struct kvm_irq_routing_entry e[IRQ_ROUTING_MAX];
};

/* Fills @t; returns the number of entries. */
unsigned int irq_routing_build(struct irq_routing_table *t);

/* Installs the table on @vm_fd (after KVM_CREATE_IRQCHIP). */
int irq_routing_install(int vm_fd, struct err *e);

#endif
