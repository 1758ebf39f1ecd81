/* SPDX-License-Identifier: MIT */
#include "report.h"

#include <math.h>
#include <string.h>

#include "exitcode.h"
#include "tpt.h"
#include "version.h"

void report_init(struct report *r, const struct vm_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->vcpus = cfg->cpus;
	r->mem_bytes = cfg->mem;
	r->tpt = cfg->tpt;
	r->tpt_mode = cfg->tpt ? tpt_mode_name(cfg->tpt_mode) : NULL;
}

void report_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		default:
			/* Other control bytes escaped; bytes >= 0x80 pass through
			 * (guest-supplied text never gets here, only ours). */
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void opt_string(FILE *out, const char *s)
{
	if (s)
		report_json_string(out, s);
	else
		fputs("null", out);
}

/* Milliseconds with microsecond resolution; JSON has no NaN. */
static void ms(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, "%.3f", v);
	else
		fputs("null", out);
}

static void stats(FILE *out, const struct kvm_stat_sum *s, int n)
{
	fputc('{', out);
	for (int i = 0; i < n; i++) {
		fputs(i ? ", " : "", out);
		report_json_string(out, s[i].name);
		fprintf(out, ": %llu", (unsigned long long)s[i].value);
	}
	fputc('}', out);
}

static void device(FILE *out, const struct report_device *d)
{
	fputs("    {\"name\": ", out);
	report_json_string(out, d->name);
	fputs(", \"type\": ", out);
	report_json_string(out, d->type);
	fprintf(out, ", \"index\": %u, \"mmio_base\": %llu, \"irq\": %u,\n",
		d->index, (unsigned long long)d->mmio_base, d->irq);
	fprintf(out, "     \"requests\": %llu, \"errors\": %llu, \"needs_reset\": %llu, \"needs_reset_reason\": ",
		d->requests, d->errors, d->needs_reset);
	opt_string(out, d->needs_reset_reason);
	fputs(",\n     \"counters\": {", out);
	for (unsigned int i = 0; i < d->nr_counters; i++) {
		fputs(i ? ", " : "", out);
		report_json_string(out, d->counters[i].name);
		fprintf(out, ": %llu", d->counters[i].value);
	}
	fputs("}}", out);
}

int report_write(FILE *out, const struct report *r)
{
	fprintf(out, "{\n  \"report_version\": %d,\n  \"tptvmm_version\": ", REPORT_VERSION);
	report_json_string(out, TPTVMM_VERSION);
	fprintf(out, ",\n  \"status\": %d,\n  \"status_name\": ", r->status);
	report_json_string(out, exit_name(r->status));
	fputs(",\n  \"reason\": ", out);
	opt_string(out, r->reason);
	fputs(",\n  \"time_ms\": {\"first_mark\": ", out);
	if (r->nr_marks)
		ms(out, r->marks[0].ms);
	else
		fputs("null", out);
	fputs(", \"exit\": ", out);
	ms(out, r->exit_ms);
	fputs("},\n  \"marks\": [", out);
	for (unsigned int i = 0; i < r->nr_marks; i++) {
		fprintf(out, "%s{\"value\": %u, \"ms\": ", i ? ", " : "", r->marks[i].value);
		ms(out, r->marks[i].ms);
		fputc('}', out);
	}
	fprintf(out, "],\n  \"marks_dropped\": %u,\n", r->marks_dropped);
	fprintf(out, "  \"vcpus\": %u,\n  \"memory_bytes\": %llu,\n  \"devices\": [",
		r->vcpus, (unsigned long long)r->mem_bytes);
	for (unsigned int i = 0; i < r->nr_devices; i++) {
		fputs(i ? ",\n" : "\n", out);
		device(out, &r->devices[i]);
	}
	fputs(r->nr_devices ? "\n  ],\n" : "],\n", out);
	fprintf(out, "  \"tpt\": {\"enabled\": %s, \"mode\": ", r->tpt ? "true" : "false");
	opt_string(out, r->tpt_mode);
	fputs(", \"stats\": ", out);
	if (r->tpt_stats_ok) {
		fputs("{\"vm\": ", out);
		stats(out, r->tpt_vm, r->nr_tpt_vm);
		fputs(", \"vcpus\": ", out);
		stats(out, r->tpt_vcpus, r->nr_tpt_vcpus);
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	fputs(", \"stats_error\": ", out);
	opt_string(out, r->tpt_stats_error[0] ? r->tpt_stats_error : NULL);
	fputs("}\n}\n", out);
	fflush(out);
	return ferror(out) ? -1 : 0;
}
