/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM: layout around the 32-bit MMIO hole, one host mapping per
 * region (= one KVM memslot), and the only way to turn a guest-physical
 * range into a host pointer: guest_ptr(mem, gpa, len), which checks the
 * whole range, with overflow, against one region.
 */
#ifndef TPTVMM_GUEST_MEM_H
#define TPTVMM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define GUEST_MAX_REGIONS	64
#define GUEST_MEM_MIN		(32ULL << 20)
#define GUEST_MEM_ALIGN		(1ULL << 20)
/* Largest memslot tptvmm creates above 4 GiB; bigger RAM uses several. */
#define GUEST_SLOT_MAX		(16ULL << 30)

struct guest_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;		/* NULL for a layout that is not allocated */
};

/*
 * Announces a device write into guest memory to whoever must see it
 * first (KVM, in TPT verify mode: its checked page tables); see
 * guest_mem.announce. begin returns 0 and an id for end, or -errno: the
 * write must not be made.
 */
struct guest_write_announcer {
	int (*begin)(void *ctx, uint64_t gpa, uint64_t len, uint32_t *id);
	void (*end)(void *ctx, uint32_t id);
	void *ctx;
};

struct guest_mem {
	struct guest_region r[GUEST_MAX_REGIONS];
	unsigned int nr;
	uint64_t ram_size;
	bool hugepages;
	/* Device writes go through it when set (begin not NULL). */
	struct guest_write_announcer announce;
};

struct guest_mem_opts {
	bool hugepages;		/* MAP_HUGETLB, 2 MiB pages */
	bool prefault;		/* populate and mlock all guest RAM at start */
};

/* Pure layout computation; fills mem->r[] with hva == NULL. */
int guest_mem_layout(struct guest_mem *mem, uint64_t ram_size, struct err *e);

/* Layout plus host mappings. On failure nothing stays mapped. */
int guest_mem_alloc(struct guest_mem *mem, uint64_t ram_size,
		    const struct guest_mem_opts *o, struct err *e);
void guest_mem_free(struct guest_mem *mem);

/*
 * Host pointer for [gpa, gpa + len) if the whole range lies in one RAM
 * region, else NULL. len == 0 is treated as len == 1 (the address itself
 * must be RAM).
 */
void *guest_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
int guest_write(const struct guest_mem *mem, uint64_t gpa, const void *src,
		uint64_t len);
int guest_read(const struct guest_mem *mem, uint64_t gpa, void *dst,
	       uint64_t len);

/* End of RAM below the MMIO hole. */
uint64_t guest_low_end(const struct guest_mem *mem);

struct e820_out {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};
#define E820_TYPE_RAM		1
#define E820_TYPE_RESERVED	2

/* The e820 map given to the guest; returns the number of entries or -1. */
int guest_e820(const struct guest_mem *mem, struct e820_out *out,
	       unsigned int max);

#endif
