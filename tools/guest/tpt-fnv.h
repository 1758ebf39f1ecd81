/* SPDX-License-Identifier: MIT */
/*
 * The checksum of tpt-memtest's buffer (FNV-1a over 64-bit words), shared
 * with tpt-corecheck, which computes it again from a core dump. It can be
 * computed piece by piece: tpt_fnv(tpt_fnv(TPT_FNV_INIT, a, n), b, m).
 */
#ifndef TPT_FNV_H
#define TPT_FNV_H

#include <stddef.h>
#include <stdint.h>

#define TPT_FNV_INIT 1469598103934665603ULL

static inline uint64_t tpt_fnv(uint64_t h, const uint64_t *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ w[i]) * 1099511628211ULL;
	return h;
}

#endif
