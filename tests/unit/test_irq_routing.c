/* SPDX-License-Identifier: MIT */
/* irq_routing.c: KVM's GSI routing agrees with the MADT and the MP table. */
#include "test_main.h"
#include "guest_tables.h"

#include <string.h>

#include "acpi.h"
#include "guest_mem.h"
#include "irq_routing.h"
#include "layout.h"
#include "mptable.h"

/* IOAPIC pin KVM delivers ISA IRQ @irq to, or -1; checks the PIC route. */
static int routed_pin(const struct irq_routing_table *t, unsigned int irq)
{
	int pin = -1, pic = 0;

	for (unsigned int i = 0; i < t->nr; i++) {
		const struct kvm_irq_routing_entry *r = &t->e[i];

		ck_assert_uint_eq(r->type, KVM_IRQ_ROUTING_IRQCHIP);
		if (r->gsi != irq)
			continue;
		if (r->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			ck_assert_int_eq(pin, -1);
			pin = (int)r->u.irqchip.pin;
		} else {
			ck_assert_uint_eq(r->u.irqchip.irqchip, irq < 8 ?
					  KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE);
			ck_assert_uint_eq(r->u.irqchip.pin, irq & 7);
			pic++;
		}
	}
	ck_assert_int_eq(pic, irq < 16 && irq != 2 ? 1 : 0);
	return pin;
}

/*
 * What KVM does with an ISA IRQ must match what the guest was told: the
 * MADT's interrupt source overrides (ACPI guests) and the MP table's
 * interrupt entries (MP guests) name the same IOAPIC pin as the routing.
 */
START_TEST(irq_routing_matches_tables)
{
	struct irq_routing_table t;
	struct err e;
	uint64_t rsdp_a, xsdt_a, ptr[2];
	uint8_t *madt, *cfg;
	uint32_t len, phys;
	uint16_t count;
	int madt_pin[16], mp_pin[16];

	ck_assert_uint_le(irq_routing_build(&t), IRQ_ROUTING_MAX);
	for (unsigned int gsi = 16; gsi < IRQ_ROUTING_IOAPIC_PINS; gsi++)
		ck_assert_int_eq(routed_pin(&t, gsi), (int)gsi);

	ck_assert_int_eq(acpi_write_tables(&mem, 1, &rsdp_a, &e), 0);
	memcpy(&xsdt_a, guest_ptr(&mem, rsdp_a, 36) + 24, 8);
	memcpy(ptr, table_at(xsdt_a, "XSDT") + 36, 16);
	madt = table_at(ptr[1], "APIC");
	memcpy(&len, madt + 4, 4);
	for (unsigned int i = 0; i < 16; i++)
		madt_pin[i] = (int)i;	/* identity unless overridden */
	for (uint8_t *p = madt + 44; p < madt + len; p += p[1]) {
		if (p[0] == 2) {	/* interrupt source override */
			uint32_t gsi;

			memcpy(&gsi, p + 4, 4);
			ck_assert_uint_eq(p[2], 0);	/* ISA bus */
			ck_assert_uint_lt(p[3], 16);
			madt_pin[p[3]] = (int)gsi;
		}
	}

	ck_assert_int_eq(mptable_write(&mem, EBDA_START, 1, &e), 0);
	memcpy(&phys, guest_ptr(&mem, EBDA_START, 16) + 4, 4);
	cfg = guest_ptr(&mem, phys, 44);
	memcpy(&count, cfg + 34, 2);
	for (unsigned int i = 0; i < 16; i++)
		mp_pin[i] = -1;
	for (uint8_t *p = cfg + 44; count--; p += p[0] == 0 ? 20 : 8)
		if (p[0] == 3 && p[1] == 0)	/* I/O interrupt, INT type */
			mp_pin[p[5]] = p[7];

	for (unsigned int irq = 0; irq < 16; irq++) {
		if (irq == 2) {	/* cascade: not a device interrupt */
			ck_assert_int_eq(routed_pin(&t, irq), -1);
			ck_assert_int_eq(mp_pin[irq], -1);
			continue;
		}
		ck_assert_int_eq(routed_pin(&t, irq), madt_pin[irq]);
		ck_assert_int_eq(routed_pin(&t, irq), mp_pin[irq]);
	}
	ck_assert_int_eq(madt_pin[0], 2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("irq_routing");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, irq_routing_matches_tables);
	suite_add_tcase(s, t);
	return s;
}
