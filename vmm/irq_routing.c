/* SPDX-License-Identifier: MIT */
#include "irq_routing.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

static void add(struct irq_routing_table *t, unsigned int gsi,
		unsigned int chip, unsigned int pin)
{
	struct kvm_irq_routing_entry *r = &t->e[t->hdr.nr++];

	r->gsi = gsi;
	r->type = KVM_IRQ_ROUTING_IRQCHIP;
	r->u.irqchip.irqchip = chip;
	r->u.irqchip.pin = pin;
}

unsigned int irq_routing_build(struct irq_routing_table *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;
		add(t, irq, irq < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
		    irq & 7);
	}
	for (unsigned int gsi = 0; gsi < IRQ_ROUTING_IOAPIC_PINS; gsi++) {
		if (gsi == 2)
			continue;
		add(t, gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
	}
	return t->hdr.nr;
}

int irq_routing_install(int vm_fd, struct err *e)
{
	struct irq_routing_table t;

	irq_routing_build(&t);
	if (ioctl(vm_fd, KVM_SET_GSI_ROUTING, &t.hdr))
		return err_errno(e, errno, "KVM_SET_GSI_ROUTING (%u entries)", t.hdr.nr);
	return 0;
}
