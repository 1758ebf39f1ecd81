/* SPDX-License-Identifier: MIT */
#include "guest_mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "layout.h"
#include "util.h"

#define HUGE_2M (2ULL << 20)

static int add_region(struct guest_mem *mem, uint64_t gpa, uint64_t size,
		      struct err *e)
{
	if (mem->nr >= GUEST_MAX_REGIONS)
		return err_set(e, "guest RAM needs more than %d memslots",
			       GUEST_MAX_REGIONS);
	mem->r[mem->nr].gpa = gpa;
	mem->r[mem->nr].size = size;
	mem->r[mem->nr].hva = NULL;
	mem->nr++;
	return 0;
}

int guest_mem_layout(struct guest_mem *mem, uint64_t ram_size, struct err *e)
{
	uint64_t low, high, gpa;

	memset(mem, 0, sizeof(*mem));
	if (ram_size < GUEST_MEM_MIN)
		return err_set(e, "guest RAM of %llu bytes is below the minimum of %llu MiB",
			       (unsigned long long)ram_size,
			       (unsigned long long)(GUEST_MEM_MIN >> 20));
	if (ram_size % GUEST_MEM_ALIGN)
		return err_set(e, "guest RAM must be a multiple of 1 MiB");
	/* 46 bits of guest-physical space minus the hole, generously. */
	if (ram_size > (1ULL << 46))
		return err_set(e, "guest RAM of %llu GiB is beyond what x86-64 can address",
			       (unsigned long long)(ram_size >> 30));
	mem->ram_size = ram_size;
	low = ram_size < MMIO_HOLE_START ? ram_size : MMIO_HOLE_START;
	if (add_region(mem, 0, low, e))
		return -1;
	high = ram_size - low;
	gpa = MMIO_HOLE_END;
	while (high) {
		uint64_t chunk = high < GUEST_SLOT_MAX ? high : GUEST_SLOT_MAX;

		if (add_region(mem, gpa, chunk, e))
			return -1;
		gpa += chunk;
		high -= chunk;
	}
	return 0;
}

void guest_mem_free(struct guest_mem *mem)
{
	for (unsigned int i = 0; i < mem->nr; i++) {
		if (mem->r[i].hva)
			munmap(mem->r[i].hva, mem->r[i].size);
		mem->r[i].hva = NULL;
	}
}

int guest_mem_alloc(struct guest_mem *mem, uint64_t ram_size,
		    const struct guest_mem_opts *o, struct err *e)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

	if (guest_mem_layout(mem, ram_size, e))
		return -1;
	mem->hugepages = o->hugepages;
	if (o->hugepages) {
		if (ram_size % HUGE_2M)
			return err_set(e, "--hugepages needs --mem to be a multiple of 2 MiB");
		flags |= MAP_HUGETLB;
	}
	if (o->prefault) {
		flags |= MAP_POPULATE;
		flags &= ~MAP_NORESERVE;
	}
	for (unsigned int i = 0; i < mem->nr; i++) {
		struct guest_region *r = &mem->r[i];
		void *p = mmap(NULL, r->size, PROT_READ | PROT_WRITE, flags,
			       -1, 0);

		if (p == MAP_FAILED) {
			int saved = errno;

			guest_mem_free(mem);
			if (o->hugepages)
				return err_errno(e, saved,
					"cannot map %llu MiB of guest RAM from 2 MiB hugepages (see /proc/sys/vm/nr_hugepages)",
					(unsigned long long)(r->size >> 20));
			return err_errno(e, saved, "cannot map %llu MiB of guest RAM",
					 (unsigned long long)(r->size >> 20));
		}
		r->hva = p;
		if (!o->hugepages)
			madvise(p, r->size, MADV_HUGEPAGE);	/* best effort */
		if (o->prefault && mlock(p, r->size)) {
			int saved = errno;

			guest_mem_free(mem);
			return err_errno(e, saved,
				"--prefault: cannot lock %llu MiB of guest RAM (RLIMIT_MEMLOCK?)",
				(unsigned long long)(r->size >> 20));
		}
	}
	return 0;
}

void *guest_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		len = 1;
	for (unsigned int i = 0; i < mem->nr; i++) {
		const struct guest_region *r = &mem->r[i];

		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		/* gpa is inside r; the range must end inside r too. */
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		if (!r->hva)
			return NULL;
		return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int guest_write(const struct guest_mem *mem, uint64_t gpa, const void *src,
		uint64_t len)
{
	void *p = guest_ptr(mem, gpa, len);

	if (!p)
		return -1;
	if (len)
		memcpy(p, src, len);
	return 0;
}

int guest_read(const struct guest_mem *mem, uint64_t gpa, void *dst,
	       uint64_t len)
{
	const void *p = guest_ptr(mem, gpa, len);

	if (!p)
		return -1;
	if (len)
		memcpy(dst, p, len);
	return 0;
}

uint64_t guest_low_end(const struct guest_mem *mem)
{
	return mem->nr ? mem->r[0].size : 0;
}

int guest_e820(const struct guest_mem *mem, struct e820_out *out,
	       unsigned int max)
{
	unsigned int n = 0;
	uint64_t low = guest_low_end(mem);

#define E820_ADD(a, s, t) do {					\
		if (n >= max)					\
			return -1;				\
		out[n].addr = (a);				\
		out[n].size = (s);				\
		out[n].type = (t);				\
		n++;						\
	} while (0)

	if (low < BIOS_END)
		return -1;
	E820_ADD(0, EBDA_START, E820_TYPE_RAM);
	E820_ADD(EBDA_START, BIOS_END - EBDA_START, E820_TYPE_RESERVED);
	E820_ADD(BIOS_END, low - BIOS_END, E820_TYPE_RAM);
	if (mem->nr > 1) {
		/* High regions are contiguous from 4 GiB: one entry. */
		const struct guest_region *last = &mem->r[mem->nr - 1];

		E820_ADD(MMIO_HOLE_END, last->gpa + last->size - MMIO_HOLE_END,
			 E820_TYPE_RAM);
	}
#undef E820_ADD
	return (int)n;
}
