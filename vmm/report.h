/* SPDX-License-Identifier: MIT */
/*
 * tptvmm --report FILE: one JSON object written at exit for CI scripts.
 * The fields are documented in vmm/README.md ("The --report file"); this
 * module only turns a filled struct report into JSON. vm.c fills it.
 */
#ifndef TPTVMM_REPORT_H
#define TPTVMM_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "debug_port.h"
#include "err.h"
#include "kvm_stats.h"

#define REPORT_VERSION		1	/* bumped when a field changes meaning */
#define REPORT_MAX_COUNTERS	12
#define REPORT_MAX_STATS	16

struct report_counter {
	const char *name;
	unsigned long long value;
};

struct report_device {
	char name[24];			/* "virtio-blk 0", as on stderr */
	const char *type;		/* "virtio-blk", "virtio-net", "virtio-rng" */
	unsigned int index;
	uint64_t mmio_base;
	unsigned int irq;
	unsigned long long requests;	/* requests completed (any status) */
	unsigned long long errors;	/* requests that failed or were dropped */
	unsigned long long needs_reset;	/* times the device went NEEDS_RESET */
	const char *needs_reset_reason;	/* the first time's, or NULL */
	struct report_counter counters[REPORT_MAX_COUNTERS];	/* device-specific */
	unsigned int nr_counters;
};

struct report {
	int status;			/* tptvmm's exit status */
	const char *reason;		/* what ended the VM */
	double exit_ms;			/* VMM start to exit */
	const struct debug_mark *marks;	/* guest marks, ms since VMM start */
	unsigned int nr_marks, marks_dropped;
	unsigned int vcpus;
	uint64_t mem_bytes;
	struct report_device devices[VM_MAX_VIRTIO];
	unsigned int nr_devices;
	bool tpt;
	const char *tpt_mode;		/* NULL without --tpt */
	bool tpt_stats_ok;		/* the statistics below were read */
	char tpt_stats_error[sizeof(((struct err *)0)->msg)];	/* why not, or "" */
	struct kvm_stat_sum tpt_vm[REPORT_MAX_STATS];
	int nr_tpt_vm;
	struct kvm_stat_sum tpt_vcpus[REPORT_MAX_STATS];	/* sums over vCPUs */
	int nr_tpt_vcpus;
};

/* Zeroes @r and fills what the configuration says (vCPUs, memory, TPT). */
void report_init(struct report *r, const struct vm_config *cfg);
/* Writes @r as one JSON object and a newline; 0, or -1 (write error). */
int report_write(FILE *out, const struct report *r);
/* Writes @s as a JSON string literal (quotes included). */
void report_json_string(FILE *out, const char *s);

#endif
