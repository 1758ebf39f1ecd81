/* SPDX-License-Identifier: MIT */
#include "mptable.h"

#include <string.h>

#include "irq_routing.h"

#define MPC_SPEC_1_4		4
#define MP_PROCESSOR		0
#define MP_BUS			1
#define MP_IOAPIC		2
#define MP_INTSRC		3
#define MP_LINTSRC		4
#define CPU_ENABLED		1
#define CPU_BOOTPROCESSOR	2
#define MP_IRQ_INT		0
#define MP_IRQ_NMI		1
#define MP_IRQ_EXTINT		3
#define APIC_VERSION		0x14

struct mpf {
	char sig[4];		/* "_MP_" */
	uint32_t physptr;
	uint8_t length;		/* in 16-byte units */
	uint8_t spec;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc_header {
	char sig[4];		/* "PCMP" */
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t count;
	uint32_t lapic;
	uint16_t extlen;
	uint8_t extsum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t cpufeature, featureflag, reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type, busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type, apicid, apicver, flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type, irqtype;
	uint16_t irqflag;
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
} __attribute__((packed));

#define ISA_IRQS 16

uint8_t mp_sum(const void *p, uint64_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *b++);
	return s;
}

static uint64_t body_size(unsigned int ncpus)
{
	return sizeof(struct mpc_header) + ncpus * sizeof(struct mpc_cpu) +
	       sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) +
	       (ISA_IRQS - 1) * sizeof(struct mpc_intsrc) +	/* all but IRQ 2 */
	       2 * sizeof(struct mpc_intsrc);
}

uint64_t mptable_size(unsigned int ncpus)
{
	return sizeof(struct mpf) + body_size(ncpus);
}

int mptable_write(const struct guest_mem *mem, uint64_t gpa, unsigned int ncpus,
		  struct err *e)
{
	uint64_t total = mptable_size(ncpus);
	uint8_t *base, *p;
	struct mpf *mpf;
	struct mpc_header *h;
	uint8_t ioapic_id = (uint8_t)ncpus;
	unsigned int entries = 0;

	if (ncpus == 0 || ncpus > MPTABLE_MAX_CPUS)
		return err_set(e, "MP table supports 1..%d CPUs, not %u",
			       MPTABLE_MAX_CPUS, ncpus);
	base = guest_ptr(mem, gpa, total);
	if (!base || gpa + total > BIOS_END)
		return err_set(e, "MP table does not fit below 1 MiB at 0x%llx",
			       (unsigned long long)gpa);
	memset(base, 0, total);

	mpf = (struct mpf *)base;
	memcpy(mpf->sig, "_MP_", 4);
	mpf->physptr = (uint32_t)(gpa + sizeof(*mpf));
	mpf->length = 1;
	mpf->spec = MPC_SPEC_1_4;
	mpf->checksum = (uint8_t)-mp_sum(mpf, sizeof(*mpf));

	h = (struct mpc_header *)(base + sizeof(*mpf));
	memcpy(h->sig, "PCMP", 4);
	h->spec = MPC_SPEC_1_4;
	memcpy(h->oem, "TPTVMM  ", 8);
	memcpy(h->product, "TPT VM      ", 12);
	h->lapic = LAPIC_ADDR;
	p = (uint8_t *)(h + 1);

	for (unsigned int i = 0; i < ncpus; i++) {
		struct mpc_cpu c = {
			.type = MP_PROCESSOR,
			.apicid = (uint8_t)i,
			.apicver = APIC_VERSION,
			.cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0),
			.cpufeature = 0x600,	/* family 6 */
			.featureflag = 0x201,	/* FPU, APIC */
		};
		memcpy(p, &c, sizeof(c));
		p += sizeof(c);
		entries++;
	}
	{
		struct mpc_bus b = { .type = MP_BUS, .busid = 0 };

		memcpy(b.bustype, "ISA   ", 6);
		memcpy(p, &b, sizeof(b));
		p += sizeof(b);
		entries++;
	}
	{
		struct mpc_ioapic io = {
			.type = MP_IOAPIC, .apicid = ioapic_id,
			.apicver = 0x11, .flags = 1, .apicaddr = IOAPIC_ADDR,
		};
		memcpy(p, &io, sizeof(io));
		p += sizeof(io);
		entries++;
	}
	for (unsigned int irq = 0; irq < ISA_IRQS; irq++) {
		int pin = isa_irq_ioapic_pin(irq);

		if (pin < 0)
			continue;	/* the PIC cascade has no entry */
		struct mpc_intsrc s = {
			.type = MP_INTSRC, .irqtype = MP_IRQ_INT, .irqflag = 0,
			.srcbus = 0, .srcbusirq = (uint8_t)irq,
			.dstapic = ioapic_id, .dstirq = (uint8_t)pin,
		};
		memcpy(p, &s, sizeof(s));
		p += sizeof(s);
		entries++;
	}
	{
		struct mpc_intsrc l0 = {
			.type = MP_LINTSRC, .irqtype = MP_IRQ_EXTINT,
			.srcbus = 0, .srcbusirq = 0, .dstapic = 0xff, .dstirq = 0,
		};
		struct mpc_intsrc l1 = {
			.type = MP_LINTSRC, .irqtype = MP_IRQ_NMI,
			.srcbus = 0, .srcbusirq = 0, .dstapic = 0xff, .dstirq = 1,
		};
		memcpy(p, &l0, sizeof(l0));
		p += sizeof(l0);
		memcpy(p, &l1, sizeof(l1));
		p += sizeof(l1);
		entries += 2;
	}
	h->length = (uint16_t)(p - (uint8_t *)h);
	h->count = (uint16_t)entries;
	h->checksum = (uint8_t)-mp_sum(h, h->length);
	return 0;
}
