/* SPDX-License-Identifier: MIT */
/* A device's far side for the device unit tests: collects transmitted
 * bytes and counts interrupt edges, resets and power-offs. */
#ifndef TPT_TESTS_SINK_H
#define TPT_TESTS_SINK_H

#include <stddef.h>
#include <stdint.h>

struct sink {
	uint8_t out[1024];
	size_t n;
	int level;
	int edges;
	int resets;
	int poweroffs;
};

static inline void tx(void *o, uint8_t b)
{
	struct sink *s = o;

	if (s->n < sizeof(s->out))
		s->out[s->n++] = b;
}

static inline void irq(void *o, int level)
{
	struct sink *s = o;

	s->level = level;
	s->edges++;
}

static inline void reset(void *o)
{
	((struct sink *)o)->resets++;
}

static inline void poweroff(void *o)
{
	((struct sink *)o)->poweroffs++;
}

#endif
