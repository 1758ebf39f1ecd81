/* SPDX-License-Identifier: MIT */
#include "acpi.h"

#include <string.h>

#include "irq_routing.h"
#include "layout.h"
#include "mptable.h"

struct acpi_header {
	char sig[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_gas {
	uint8_t space_id;	/* 1 = system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;	/* 1 byte, 2 word, 3 dword */
	uint64_t address;
} __attribute__((packed));

struct acpi_rsdp {
	char sig[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_header h;
	uint32_t facs;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_facs, x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk, x_pm2_cnt_blk, x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk, x_gpe1_blk, sleep_control, sleep_status;
	uint64_t hypervisor_id;
} __attribute__((packed));

struct acpi_facs {
	char sig[4];
	uint32_t length;
	uint32_t hw_signature;
	uint32_t waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_waking_vector;
	uint8_t version;
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

struct madt_lapic {
	uint8_t type, length, proc_id, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length, id, reserved;
	uint32_t address, gsi_base;
} __attribute__((packed));

struct madt_iso {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type, length, proc_id;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

#define FADT_WBINVD		(1u << 0)
#define FADT_C1_SUPPORTED	(1u << 2)
#define FADT_POWER_BUTTON	(1u << 4)	/* set: no fixed power button */
#define FADT_SLEEP_BUTTON	(1u << 5)
#define FADT_RESET_REG_SUP	(1u << 10)
#define BOOT_ARCH_LEGACY_DEVS	(1u << 0)
#define BOOT_ARCH_8042		(1u << 1)
#define BOOT_ARCH_NO_VGA	(1u << 2)
#define BOOT_ARCH_NO_CMOS_RTC	(1u << 5)

uint8_t acpi_sum(const void *p, uint64_t len)
{
	return mp_sum(p, len);	/* same 8-bit byte sum as the MP table */
}

static void header(struct acpi_header *h, const char *sig, uint32_t len,
		   uint8_t rev)
{
	memcpy(h->sig, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, "TPTVMM", 6);
	memcpy(h->oem_table_id, "TPTVMM  ", 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "TPTV", 4);
	h->creator_revision = 1;
}

static void checksum(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = (uint8_t)-acpi_sum(h, h->length);
}

static struct acpi_gas io_gas(uint16_t port, uint8_t bits)
{
	struct acpi_gas g = {
		.space_id = 1,
		.bit_width = bits,
		.access_size = bits == 8 ? 1 : bits == 16 ? 2 : 3,
		.address = port,
	};
	return g;
}

/* AML: Name (_S5, Package (4) { 5, 5, 0, 0 }) */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_',
	0x12, 0x08, 0x04,
	0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP, 0x00, 0x00,
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int acpi_write_tables(const struct guest_mem *mem, unsigned int ncpus,
		      uint64_t *rsdp_out, struct err *e)
{
	uint64_t rsdp_a = ACPI_TABLES_ADDR;
	uint64_t xsdt_a = align_up(rsdp_a + sizeof(struct acpi_rsdp), 16);
	uint64_t xsdt_len = sizeof(struct acpi_header) + 2 * sizeof(uint64_t);
	uint64_t fadt_a = align_up(xsdt_a + xsdt_len, 16);
	uint64_t facs_a = align_up(fadt_a + sizeof(struct acpi_fadt), 64);
	uint64_t dsdt_a = align_up(facs_a + sizeof(struct acpi_facs), 16);
	uint64_t dsdt_len = sizeof(struct acpi_header) + sizeof(dsdt_aml);
	uint64_t madt_a = align_up(dsdt_a + dsdt_len, 16);
	uint64_t madt_len = sizeof(struct acpi_header) + 8 +
			    ncpus * sizeof(struct madt_lapic) +
			    sizeof(struct madt_ioapic) +
			    2 * sizeof(struct madt_iso) +
			    sizeof(struct madt_lapic_nmi);
	uint64_t end = madt_a + madt_len;
	uint8_t *base;
	struct acpi_rsdp *rsdp;
	struct acpi_header *xsdt, *dsdt, *madt;
	struct acpi_fadt *fadt;
	struct acpi_facs *facs;
	uint64_t ptrs[2] = { fadt_a, madt_a };
	uint8_t *p;

	if (ncpus == 0 || ncpus > MPTABLE_MAX_CPUS)
		return err_set(e, "ACPI: %u CPUs is out of range", ncpus);
	if (end - ACPI_TABLES_ADDR > ACPI_TABLES_MAX)
		return err_set(e, "ACPI tables do not fit in the BIOS area");
	base = guest_ptr(mem, ACPI_TABLES_ADDR, end - ACPI_TABLES_ADDR);
	if (!base)
		return err_set(e, "no guest RAM for ACPI tables at 0x%llx",
			       (unsigned long long)ACPI_TABLES_ADDR);
	memset(base, 0, end - ACPI_TABLES_ADDR);
#define AT(a) (base + ((a) - ACPI_TABLES_ADDR))

	dsdt = (struct acpi_header *)AT(dsdt_a);
	header(dsdt, "DSDT", (uint32_t)dsdt_len, 2);
	memcpy(dsdt + 1, dsdt_aml, sizeof(dsdt_aml));
	checksum(dsdt);

	facs = (struct acpi_facs *)AT(facs_a);
	memcpy(facs->sig, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = 2;

	fadt = (struct acpi_fadt *)AT(fadt_a);
	header(&fadt->h, "FACP", sizeof(*fadt), 6);
	fadt->facs = (uint32_t)facs_a;
	fadt->dsdt = (uint32_t)dsdt_a;
	fadt->x_dsdt = dsdt_a;
	fadt->x_facs = 0;	/* the 32-bit pointer is used */
	fadt->sci_int = ACPI_SCI_IRQ;
	fadt->smi_cmd = 0;	/* no SMM: always in ACPI mode */
	fadt->pm1a_evt_blk = ACPI_PM1A_EVT_PORT;
	fadt->pm1a_cnt_blk = ACPI_PM1A_CNT_PORT;
	fadt->pm1_evt_len = 4;
	fadt->pm1_cnt_len = 2;
	fadt->x_pm1a_evt_blk = io_gas(ACPI_PM1A_EVT_PORT, 32);
	fadt->x_pm1a_cnt_blk = io_gas(ACPI_PM1A_CNT_PORT, 16);
	fadt->p_lvl2_lat = 101;	/* > 100: C2 not supported */
	fadt->p_lvl3_lat = 1001;	/* > 1000: C3 not supported */
	/* No BOOT_ARCH_8042: Linux then leaves the i8042 alone (it only
	 * serves as the reset register). */
	fadt->iapc_boot_arch = BOOT_ARCH_LEGACY_DEVS |
			       BOOT_ARCH_NO_VGA | BOOT_ARCH_NO_CMOS_RTC;
	fadt->flags = FADT_WBINVD | FADT_C1_SUPPORTED | FADT_POWER_BUTTON |
		      FADT_SLEEP_BUTTON | FADT_RESET_REG_SUP;
	fadt->reset_reg = io_gas(I8042_CMD_PORT, 8);
	fadt->reset_value = 0xfe;
	memcpy(&fadt->hypervisor_id, "TPTVMM\0\0", 8);
	checksum(&fadt->h);

	madt = (struct acpi_header *)AT(madt_a);
	header(madt, "APIC", (uint32_t)madt_len, 4);
	p = (uint8_t *)(madt + 1);
	{
		uint32_t lapic = LAPIC_ADDR, flags = 1;	/* PCAT_COMPAT */

		memcpy(p, &lapic, 4);
		memcpy(p + 4, &flags, 4);
		p += 8;
	}
	for (unsigned int i = 0; i < ncpus; i++) {
		struct madt_lapic l = {
			.type = 0, .length = sizeof(l), .proc_id = (uint8_t)i,
			.apic_id = (uint8_t)i, .flags = 1,
		};
		memcpy(p, &l, sizeof(l));
		p += sizeof(l);
	}
	{
		struct madt_ioapic io = {
			.type = 1, .length = sizeof(io), .id = (uint8_t)ncpus,
			.address = IOAPIC_ADDR, .gsi_base = 0,
		};
		struct madt_iso pit = {
			.type = 2, .length = sizeof(pit), .bus = 0, .source = 0,
			.gsi = (uint32_t)isa_irq_ioapic_pin(0), .flags = 0,
		};
		struct madt_iso sci = {
			.type = 2, .length = sizeof(sci), .bus = 0,
			.source = ACPI_SCI_IRQ, .gsi = ACPI_SCI_IRQ,
			.flags = 0xd,	/* level-triggered, active high */
		};
		struct madt_lapic_nmi nmi = {
			.type = 4, .length = sizeof(nmi), .proc_id = 0xff,
			.flags = 0, .lint = 1,
		};
		memcpy(p, &io, sizeof(io));
		p += sizeof(io);
		memcpy(p, &pit, sizeof(pit));
		p += sizeof(pit);
		memcpy(p, &sci, sizeof(sci));
		p += sizeof(sci);
		memcpy(p, &nmi, sizeof(nmi));
	}
	checksum(madt);

	xsdt = (struct acpi_header *)AT(xsdt_a);
	header(xsdt, "XSDT", (uint32_t)xsdt_len, 1);
	memcpy(xsdt + 1, ptrs, sizeof(ptrs));
	checksum(xsdt);

	rsdp = (struct acpi_rsdp *)AT(rsdp_a);
	memcpy(rsdp->sig, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, "TPTVMM", 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt = xsdt_a;
	rsdp->checksum = (uint8_t)-acpi_sum(rsdp, 20);
	rsdp->ext_checksum = (uint8_t)-acpi_sum(rsdp, sizeof(*rsdp));
#undef AT
	*rsdp_out = rsdp_a;
	return 0;
}
