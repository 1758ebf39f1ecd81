/* SPDX-License-Identifier: MIT */
/*
 * Small host-side helpers every layer may use: system calls retried on
 * EINTR, eventfds, the monotonic clock, sizes and whole files. Nothing
 * here knows about guests or KVM state.
 */
#ifndef TPTVMM_UTIL_H
#define TPTVMM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* read(2) and write(2), retried on EINTR; same results otherwise. */
ssize_t read_eintr(int fd, void *buf, size_t len);
ssize_t write_eintr(int fd, const void *buf, size_t len);
/* Writes all of @buf (retrying short writes); 0, or -1 with errno set. */
int write_all(int fd, const void *buf, size_t len);
/* ioctl(2) retried on EINTR. */
int ioctl_eintr(int fd, unsigned long req, void *arg);

/* A nonblocking, close-on-exec eventfd in *fd; 0, or -1 with @e set. */
int eventfd_new(int *fd, const char *what, struct err *e);
/* Adds 1 to an eventfd's counter. */
void eventfd_signal(int fd);
/* Reads an eventfd's counter; returns it (0 if nothing was pending). */
uint64_t eventfd_drain(int fd);

/* CLOCK_MONOTONIC in milliseconds. */
double monotonic_ms(void);

/* Parses "512M", "8G", "1048576", "64k"; -1 on garbage or overflow. */
int parse_size(const char *s, uint64_t *out);

/* Reads a whole regular file of at most @max bytes into a malloc'd buffer. */
int read_file(const char *path, size_t max, uint8_t **out, size_t *len,
	      struct err *e);

#endif
