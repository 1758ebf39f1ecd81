/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

ssize_t read_eintr(int fd, void *buf, size_t len)
{
	ssize_t r;

	do {
		r = read(fd, buf, len);
	} while (r < 0 && errno == EINTR);
	return r;
}

ssize_t write_eintr(int fd, const void *buf, size_t len)
{
	ssize_t r;

	do {
		r = write(fd, buf, len);
	} while (r < 0 && errno == EINTR);
	return r;
}

int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t w = write_eintr(fd, p, len);

		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int ioctl_eintr(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r;
}

int eventfd_new(int *fd, const char *what, struct err *e)
{
	*fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (*fd < 0)
		return err_errno(e, errno, "eventfd for %s", what);
	return 0;
}

void eventfd_signal(int fd)
{
	uint64_t one = 1;

	(void)write_eintr(fd, &one, sizeof(one));
}

uint64_t eventfd_drain(int fd)
{
	uint64_t v = 0;

	return read_eintr(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

double monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10; end++;
		break;
	case 'm': case 'M':
		shift = 20; end++;
		break;
	case 'g': case 'G':
		shift = 30; end++;
		break;
	case 't': case 'T':
		shift = 40; end++;
		break;
	default:
		return -1;
	}
	/* Accept an optional trailing 'B' or 'iB' ("8GiB", "512MB"). */
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end)
		return -1;
	if (shift && v > (~0ULL >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int read_file(const char *path, size_t max, uint8_t **out, size_t *len,
	      struct err *e)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_errno(e, errno, "cannot open %s", path);
	if (fstat(fd, &st)) {
		close(fd);
		return err_errno(e, errno, "cannot stat %s", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, "%s is not a regular file", path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return err_set(e, "%s is %lld bytes, more than the %zu allowed",
			       path, (long long)st.st_size, max);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return err_set(e, "out of memory reading %s", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read_eintr(fd, buf + got, (size_t)st.st_size - got);

		if (r <= 0) {
			int saved = r < 0 ? errno : EIO;

			free(buf);
			close(fd);
			return err_errno(e, saved, "cannot read %s", path);
		}
		got += (size_t)r;
	}
	close(fd);
	*out = buf;
	*len = got;
	return 0;
}
