/* SPDX-License-Identifier: MIT */
#include "acpi_pm.h"

#include <string.h>

#include "acpi.h"

#define PM1_CNT_SCI_EN		0x0001
#define PM1_CNT_SLP_EN		0x2000
#define PM1_CNT_SLP_TYP_SHIFT	10
#define PM1_CNT_SLP_TYP_MASK	0x7

void acpi_pm_init(struct acpi_pm *pm, acpi_poweroff_fn poweroff, void *opaque)
{
	memset(pm, 0, sizeof(*pm));
	pthread_mutex_init(&pm->lock, NULL);
	pm->cnt = PM1_CNT_SCI_EN;
	pm->poweroff = poweroff;
	pm->opaque = opaque;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	pthread_mutex_destroy(&pm->lock);
}

static uint16_t *reg(struct acpi_pm *pm, unsigned int idx)
{
	switch (idx) {
	case 0:
		return &pm->sts;
	case 1:
		return &pm->en;
	default:
		return &pm->cnt;
	}
}

void acpi_pm_pio(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
		 bool is_write)
{
	struct acpi_pm *pm = opaque;
	bool off_req = false;

	pthread_mutex_lock(&pm->lock);
	/* Bytewise over the 6-byte block: any width, any alignment. */
	for (unsigned int i = 0; i < size; i++) {
		uint64_t b = off + i;
		uint16_t *r, shift, old, bval;

		if (b >= ACPI_PM_PORTS_LEN)
			break;
		r = reg(pm, (unsigned int)(b / 2));
		shift = (uint16_t)((b % 2) * 8);
		if (!is_write) {
			data[i] = (uint8_t)(*r >> shift);
			continue;
		}
		old = *r;
		bval = (uint16_t)(data[i] << shift);
		if (r == &pm->sts) {
			*r = old & (uint16_t)~bval;	/* write 1 to clear */
		} else {
			*r = (uint16_t)((old & ~(0xff << shift)) | bval);
		}
	}
	if (is_write && (pm->cnt & PM1_CNT_SLP_EN)) {
		unsigned int typ = (pm->cnt >> PM1_CNT_SLP_TYP_SHIFT) & PM1_CNT_SLP_TYP_MASK;

		pm->cnt &= (uint16_t)~PM1_CNT_SLP_EN;	/* self-clearing */
		pm->cnt |= PM1_CNT_SCI_EN;
		off_req = typ == ACPI_S5_SLP_TYP;
	}
	pthread_mutex_unlock(&pm->lock);
	if (off_req && pm->poweroff)
		pm->poweroff(pm->opaque);
}
