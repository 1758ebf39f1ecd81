/* SPDX-License-Identifier: MIT */
#include "virtio_blk.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/fs.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SECTOR			512ULL
#define BLK_QUEUE_SIZE		256
#define BLK_SEG_MAX		(BLK_QUEUE_SIZE - 2)	/* header and status take two */
#define BLK_MAX_DATA		(64ULL << 20)	/* larger requests fail (IOERR) */
/* Config space offered: capacity, size_max, seg_max, geometry, blk_size. */
#define BLK_CONFIG_LEN	(offsetof(struct virtio_blk_config, blk_size) + sizeof(uint32_t))

_Static_assert(BLK_CONFIG_LEN <= sizeof(((struct virtio_blk *)0)->config), "blk config");

static void blk_config_read(void *dev, uint32_t off, void *out, uint32_t len)
{
	struct virtio_blk *b = dev;

	memcpy(out, b->config + off, len);	/* range checked by the transport */
}

/* Moves all of iov[0..n) with preadv/pwritev, resuming after short transfers. */
static int blk_rw(int fd, struct iovec *iov, unsigned int n, uint64_t off, bool write)
{
	while (n) {
		ssize_t r = write ? pwritev(fd, iov, (int)n, (off_t)off) :
				    preadv(fd, iov, (int)n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;	/* error, or the file shrank under us */
		off += (uint64_t)r;
		while (n && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* Serves one request; returns the bytes written into the guest's buffers. */
static uint32_t blk_request(struct virtio_blk *b, const struct virtq_chain *c)
{
	struct iovec iov[VIRTQ_MAX_CHAIN];
	struct virtio_blk_outhdr h;
	uint64_t data_len, sector;
	uint8_t status = VIRTIO_BLK_S_IOERR;
	uint32_t written = 0;
	unsigned int n;

	/* Without a header and a status byte there is nothing to answer. */
	if (virtq_read(c, 0, &h, sizeof(h)) != sizeof(h) || c->writable_len < 1) {
		b->st.errors++;
		return 0;
	}
	h.type = le32toh(h.type);
	sector = le64toh(h.sector);
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		data_len = c->writable_len - 1;
		if (data_len % SECTOR || data_len > BLK_MAX_DATA || sector > b->sectors ||
		    data_len / SECTOR > b->sectors - sector)
			break;
		n = virtq_iov(c, true, 0, data_len, iov);
		if (blk_rw(b->fd, iov, n, sector * SECTOR, false))
			break;
		b->st.reads++;
		b->st.bytes_read += data_len;
		written = (uint32_t)data_len;
		status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_OUT:
		data_len = c->readable_len - sizeof(h);
		if (b->ro || data_len % SECTOR || data_len > BLK_MAX_DATA || sector > b->sectors ||
		    data_len / SECTOR > b->sectors - sector)
			break;
		n = virtq_iov(c, false, sizeof(h), data_len, iov);
		if (blk_rw(b->fd, iov, n, sector * SECTOR, true))
			break;
		b->st.writes++;
		b->st.bytes_written += data_len;
		status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (!b->ro && fdatasync(b->fd))
			break;
		b->st.flushes++;
		status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		data_len = c->writable_len - 1;
		written = (uint32_t)virtq_write(c, 0, b->id,
						data_len < sizeof(b->id) ? data_len : sizeof(b->id));
		b->st.get_ids++;
		status = VIRTIO_BLK_S_OK;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (status != VIRTIO_BLK_S_OK)
		b->st.errors++;
	/* The status byte is the last writable byte of the chain. */
	virtq_write(c, c->writable_len - 1, &status, 1);
	return written + 1;
}

static bool blk_serve(void *dev, unsigned int q, const struct virtq_chain *c,
		      uint32_t *written)
{
	(void)q;
	*written = blk_request(dev, c);
	return true;
}

/* The I/O thread (or, in unit tests, a vCPU) saw a notification. */
static void blk_notify(void *dev, struct virtio_mmio *t, unsigned int q)
{
	struct virtio_blk *b = dev;

	if (!b->worker_started) {
		virtio_mmio_drain(t, q);
		return;
	}
	pthread_mutex_lock(&b->wlock);
	b->kicked = true;
	pthread_cond_signal(&b->wcond);
	pthread_mutex_unlock(&b->wlock);
}

static void *blk_worker(void *arg)
{
	struct virtio_blk *b = arg;

	for (;;) {
		pthread_mutex_lock(&b->wlock);
		while (!b->kicked && !b->stopping)
			pthread_cond_wait(&b->wcond, &b->wlock);
		if (b->stopping) {
			pthread_mutex_unlock(&b->wlock);
			return NULL;
		}
		b->kicked = false;
		pthread_mutex_unlock(&b->wlock);
		virtio_mmio_drain(&b->t, 0);
	}
}

int virtio_blk_start(struct virtio_blk *b, struct err *e)
{
	sigset_t all, old;
	int rc;

	/* Signals are for the signal and vCPU threads only. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&b->worker, NULL, blk_worker, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return err_errno(e, rc, "virtio-blk: cannot start the disk's thread");
	b->worker_started = true;
	return 0;
}

void virtio_blk_stop(struct virtio_blk *b)
{
	if (!b->worker_started)
		return;
	pthread_mutex_lock(&b->wlock);
	b->stopping = true;
	pthread_cond_signal(&b->wcond);
	pthread_mutex_unlock(&b->wlock);
	pthread_join(b->worker, NULL);
	b->worker_started = false;
}

static const struct virtio_dev_ops blk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.features = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH),
	.num_queues = 1,
	.queue_max = BLK_QUEUE_SIZE,
	.config_len = BLK_CONFIG_LEN,
	.config_read = blk_config_read,
	.serve = blk_serve,
	.notify = blk_notify,
};

int virtio_blk_init(struct virtio_blk *b, const char *path, bool ro,
		    const struct guest_mem *mem, struct err *e)
{
	struct stat st;
	uint64_t bytes, cap;
	uint32_t seg_max = htole32(BLK_SEG_MAX);
	const char *base;

	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->wlock, NULL);
	pthread_cond_init(&b->wcond, NULL);
	b->ro = ro;
	b->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0)
		return err_errno(e, errno, "--disk %s", path);
	if (fstat(b->fd, &st)) {
		err_errno(e, errno, "--disk %s: fstat", path);
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &bytes)) {
			err_errno(e, errno, "--disk %s: BLKGETSIZE64", path);
			goto fail;
		}
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		err_set(e, "--disk %s: not a regular file or block device", path);
		goto fail;
	}
	if (bytes < SECTOR) {
		err_set(e, "--disk %s: image is smaller than one 512-byte sector", path);
		goto fail;
	}
	if (bytes % SECTOR)
		fprintf(stderr, "tptvmm: --disk %s: the last %llu bytes (not a whole sector) are not visible to the guest\n",
			path, (unsigned long long)(bytes % SECTOR));
	b->sectors = bytes / SECTOR;
	cap = htole64(b->sectors);
	memcpy(b->config + offsetof(struct virtio_blk_config, capacity), &cap, 8);
	memcpy(b->config + offsetof(struct virtio_blk_config, seg_max), &seg_max, 4);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	/* The ID need not be NUL-terminated when it fills all 20 bytes. */
	memcpy(b->id, base, strlen(base) < sizeof(b->id) ? strlen(base) : sizeof(b->id));
	b->ops = blk_ops;
	if (ro)
		b->ops.features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	if (virtio_mmio_init(&b->t, &b->ops, b, mem, e)) {
		err_prepend(e, "--disk %s: ", path);
		goto fail;
	}
	return 0;
fail:
	close(b->fd);
	b->fd = -1;
	return -1;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	virtio_blk_stop(b);
	pthread_cond_destroy(&b->wcond);
	pthread_mutex_destroy(&b->wlock);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	virtio_mmio_destroy(&b->t);
}
