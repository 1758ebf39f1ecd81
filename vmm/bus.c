/* SPDX-License-Identifier: MIT */
#include "bus.h"

#include <string.h>

void bus_init(struct bus *b, uint8_t unclaimed_read)
{
	memset(b, 0, sizeof(*b));
	b->unclaimed_read = unclaimed_read;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_fn fn,
		 void *opaque, const char *name, struct err *e)
{
	if (!len || base + len < base)
		return err_set(e, "%s: bad range", name);
	if (b->nr >= BUS_MAX_RANGES)
		return err_set(e, "%s: too many device ranges", name);
	for (unsigned int i = 0; i < b->nr; i++) {
		const struct bus_range *r = &b->r[i];

		if (base < r->base + r->len && r->base < base + len)
			return err_set(e, "%s overlaps %s at 0x%llx", name,
				       r->name, (unsigned long long)r->base);
	}
	b->r[b->nr++] = (struct bus_range){ base, len, fn, opaque, name };
	return 0;
}

bool bus_dispatch(const struct bus *b, uint64_t addr, uint8_t *data,
		  unsigned int size, bool is_write)
{
	if (!is_write)
		memset(data, b->unclaimed_read, size);
	for (unsigned int i = 0; i < b->nr; i++) {
		const struct bus_range *r = &b->r[i];

		if (addr < r->base || addr - r->base >= r->len)
			continue;
		/* The access must fit in the range. */
		if (size > r->len - (addr - r->base))
			return false;
		if (!is_write)
			memset(data, 0, size);
		r->fn(r->opaque, addr - r->base, data, size, is_write);
		return true;
	}
	return false;
}
