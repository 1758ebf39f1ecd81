/* SPDX-License-Identifier: MIT */
/*
 * ACPI PM1a event and control registers (ports 0x600..0x605). Writing
 * SLP_TYP = 5 (\_S5) with SLP_EN to PM1a_CNT powers the VM off.
 */
#ifndef TPTVMM_ACPI_PM_H
#define TPTVMM_ACPI_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef void (*acpi_poweroff_fn)(void *opaque);

struct acpi_pm {
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;
	acpi_poweroff_fn poweroff;
	void *opaque;
};

void acpi_pm_init(struct acpi_pm *pm, acpi_poweroff_fn poweroff, void *opaque);
void acpi_pm_destroy(struct acpi_pm *pm);
/* Port-bus handler; off is relative to ACPI_PM1A_EVT_PORT. */
void acpi_pm_pio(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
		 bool is_write);

#endif
