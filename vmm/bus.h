/* SPDX-License-Identifier: MIT */
/*
 * Port-I/O and MMIO dispatch. Devices register [base, base + len) ranges
 * at setup time; the tables are read-only once vCPUs run, so dispatch takes
 * no lock. Reads are zero-filled (MMIO) or all-ones (ports) before a
 * device sees them; unclaimed accesses are ignored.
 */
#ifndef TPTVMM_BUS_H
#define TPTVMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define BUS_MAX_RANGES 32

typedef void (*bus_fn)(void *opaque, uint64_t off, uint8_t *data,
		       unsigned int size, bool is_write);

struct bus_range {
	uint64_t base, len;
	bus_fn fn;
	void *opaque;
	const char *name;
};

struct bus {
	struct bus_range r[BUS_MAX_RANGES];
	unsigned int nr;
	uint8_t unclaimed_read;	/* 0xff for ports, 0 for MMIO */
};

void bus_init(struct bus *b, uint8_t unclaimed_read);
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_fn fn,
		 void *opaque, const char *name, struct err *e);
/* Returns true if a device claimed the access. size is 1..8. */
bool bus_dispatch(const struct bus *b, uint64_t addr, uint8_t *data,
		  unsigned int size, bool is_write);

#endif
