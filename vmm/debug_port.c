/* SPDX-License-Identifier: MIT */
#include "debug_port.h"

#include <string.h>

#include "util.h"

void debug_port_init(struct debug_port *d, double t0_ms, FILE *log,
		     debug_exit_fn on_exit, void *opaque)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	d->t0_ms = t0_ms;
	d->log = log;
	d->on_exit = on_exit;
	d->opaque = opaque;
}

void debug_port_destroy(struct debug_port *d)
{
	pthread_mutex_destroy(&d->lock);
}

void debug_port_pio(void *opaque, uint64_t off, uint8_t *data,
		    unsigned int size, bool is_write)
{
	struct debug_port *d = opaque;
	double now;

	(void)size;
	if (!is_write)
		return;		/* reads return 0 */
	if (off == 1) {
		if (d->on_exit)
			d->on_exit(d->opaque, data[0]);
		return;
	}
	now = monotonic_ms() - d->t0_ms;
	pthread_mutex_lock(&d->lock);
	if (d->nr_marks < DEBUG_MARKS_MAX) {
		d->marks[d->nr_marks].value = data[0];
		d->marks[d->nr_marks].ms = now;
		d->nr_marks++;
	} else {
		d->dropped++;
	}
	if (d->log) {
		fprintf(d->log, "tptvmm: guest mark %u at %.3f ms since VMM start\n",
			data[0], now);
		fflush(d->log);
	}
	pthread_mutex_unlock(&d->lock);
}
