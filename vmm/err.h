/* SPDX-License-Identifier: MIT */
/*
 * Error reporting with context. The one convention in tptvmm: a fallible
 * function returns 0 on success and -1 on failure with the reason in its
 * struct err (functions that count or find return the count, or -1).
 */
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

/*
 * Adds context to a message already in e (if non-NULL): err_prepend puts
 * the formatted text before it ("--initrd: " + msg), err_append after it
 * (msg + " (bzImage)"). Both truncate at the buffer's end and return -1.
 */
int err_prepend(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int err_append(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
