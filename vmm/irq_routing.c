/* SPDX-License-Identifier: MIT */
#include "irq_routing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

static void add(struct irq_routing_table *t, unsigned int gsi,
		unsigned int chip, unsigned int pin)
{
	struct kvm_irq_routing_entry *r = &t->e[t->nr++];

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
		int pin = gsi < 16 ? isa_irq_ioapic_pin(gsi) : (int)gsi;

		if (pin >= 0)
			add(t, gsi, KVM_IRQCHIP_IOAPIC, (unsigned int)pin);
	}
	return t->nr;
}

int irq_routing_install(int vm_fd, struct err *e)
{
	struct irq_routing_table t;
	struct kvm_irq_routing *r;
	int saved, rc;

	irq_routing_build(&t);
	r = calloc(1, sizeof(*r) + t.nr * sizeof(t.e[0]));
	if (!r)
		return err_errno(e, ENOMEM, "KVM_SET_GSI_ROUTING table");
	r->nr = t.nr;
	memcpy(r->entries, t.e, t.nr * sizeof(t.e[0]));
	rc = ioctl(vm_fd, KVM_SET_GSI_ROUTING, r);
	saved = errno;
	free(r);
	if (rc)
		return err_errno(e, saved, "KVM_SET_GSI_ROUTING (%u entries)", t.nr);
	return 0;
}
