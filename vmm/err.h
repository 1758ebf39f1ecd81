/* SPDX-License-Identifier: MIT */
/* Error reporting with context: every fallible function fills a struct err. */
#ifndef TPTVMM_ERR_H
#define TPTVMM_ERR_H

#include <stddef.h>

struct err {
	char msg[512];
};

/* Formats msg into e (if non-NULL) and returns -1, for "return err_set(...)". */
int err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like err_set, appending ": strerror(errnum)". */
int err_errno(struct err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
