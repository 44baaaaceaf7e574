/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Linux AIO bdev backend (see include/vhostd/bdev_aio.h).
 *
 * Objects:
 *   struct aio_disk     one per bdev: the shared struct vd_bdev_file_disk (whose address is
 *                       the io_device and which owns the open file) and the AIO flags.
 *   struct aio_channel  one per (disk, thread): a kernel AIO context, the iocbs queued since
 *                       the last poll (pending[]) and a poller.
 *   struct aio_task     per-I/O driver context: the iocb and the byte count it must return.
 *
 * Channel invariants (owning thread only):
 *   npending + inflight <= VD_BDEV_AIO_QUEUE_DEPTH, so the kernel ring never overflows;
 *   every iocb in pending[] belongs to a bdev_io that has not been completed;
 *   inflight counts iocbs accepted by io_submit() whose event has not been reaped.
 *
 * Disk life cycle: the shared skeleton's (include/vhostd_internal/bdev_file.h,
 * lib/bdev_aio/bdev_file.c): created → removing → destruct → freed once every channel is gone.
 *
 * Completions are reaped from the AIO ring that the kernel maps into user space (the layout
 * below is the kernel's stable ABI, recognised by its magic), so an idle channel costs no
 * system call; io_getevents() with a zero timeout is the fallback when the ring is not
 * recognised.
 */

#include <errno.h>
#include <libaio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vhostd/bdev_module.h"
#include "vhostd/log.h"
#include "vhostd/thread.h"
#include "vhostd_internal/bdev_file.h"
#include "bdev_aio_internal.h"

#define AIO_REAP_BATCH		64
#define AIO_RING_MAGIC		0xa10a10a1u
/* How long a channel being destroyed waits for stray I/O before giving up on it. */
#define AIO_DESTROY_WAIT_SEC	5

/* The head of the completion ring the kernel maps at the io_context_t address. */
struct aio_ring_hdr {
	uint32_t id;
	uint32_t nr;
	uint32_t head;
	uint32_t tail;
	uint32_t magic;
	uint32_t compat_features;
	uint32_t incompat_features;
	uint32_t header_length;
	struct io_event events[];
};

struct aio_disk {
	struct vd_bdev_file_disk fdisk;	/* first: the shared skeleton (bdev_file.h) */
	/* Learned from the kernel at run time; read and written with relaxed atomics. */
	bool fdsync_unsupported;
};

struct aio_task {
	struct iocb iocb;
	uint64_t len;
};

struct aio_channel {
	struct aio_disk *disk;
	io_context_t ctx;
	bool user_reap;
	struct vd_poller *poller;
	uint32_t inflight;
	uint32_t npending;
	struct iocb *pending[VD_BDEV_AIO_QUEUE_DEPTH];
	struct io_event events[AIO_REAP_BATCH];
};

/* Completion path ------------------------------------------------------------------------- */

/* Flush for kernels that refuse IOCB_CMD_FDSYNC: a synchronous fdatasync (documented). */
static void
aio_flush_sync(struct vd_bdev_io *bdev_io)
{
	struct aio_disk *disk = bdev_io->bdev->ctxt;

	vd_bdev_io_complete_errno(bdev_io, fdatasync(disk->fdisk.file.fd) == 0 ? 0 : -errno);
}

static void
aio_complete_event(struct io_event *ev)
{
	struct vd_bdev_io *bdev_io = ev->data;
	struct aio_task *task = VD_CONTAINEROF(ev->obj, struct aio_task, iocb);
	long res = (long)ev->res;

	if (res == -EAGAIN) {
		vd_bdev_io_complete(bdev_io, VD_BDEV_IO_STATUS_NOMEM);
	} else if (res == -EINVAL && bdev_io->type == VD_BDEV_IO_TYPE_FLUSH) {
		struct aio_disk *disk = bdev_io->bdev->ctxt;

		if (!vd_bdev_file_flag_get(&disk->fdsync_unsupported)) {
			VD_NOTICELOG("%s: kernel refuses AIO fdsync; flushing with fdatasync()\n",
				     disk->fdisk.bdev.name);
			vd_bdev_file_flag_set(&disk->fdsync_unsupported);
		}
		aio_flush_sync(bdev_io);
	} else if (res < 0) {
		vd_bdev_io_complete_errno(bdev_io, (int)res);
	} else if ((uint64_t)res != task->len) {
		/* A short transfer means the file shrank under us. */
		vd_bdev_io_complete_errno(bdev_io, -EIO);
	} else {
		vd_bdev_io_complete(bdev_io, VD_BDEV_IO_STATUS_SUCCESS);
	}
}

/* Copy up to \p max events out of the kernel's ring without a system call. */
static int
aio_ring_get_events(struct aio_channel *ach, struct io_event *events, int max)
{
	struct aio_ring_hdr *ring = (struct aio_ring_hdr *)ach->ctx;
	uint32_t head, tail, count;

	head = ring->head;
	tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
	if (head == tail) {
		return 0;
	}
	count = tail > head ? tail - head : ring->nr - head;
	count = VD_MIN(count, (uint32_t)max);
	memcpy(events, &ring->events[head], count * sizeof(*events));
	head = (head + count) % ring->nr;
	__atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);
	return (int)count;
}

static int
aio_reap(struct aio_channel *ach)
{
	struct timespec zero = { 0, 0 };
	int n, i;

	if (ach->user_reap) {
		n = aio_ring_get_events(ach, ach->events, AIO_REAP_BATCH);
	} else {
		n = io_getevents(ach->ctx, 0, AIO_REAP_BATCH, ach->events, &zero);
	}
	if (n <= 0) {
		return 0;
	}
	ach->inflight -= (uint32_t)n;
	for (i = 0; i < n; i++) {
		aio_complete_event(&ach->events[i]);
	}
	return n;
}

/* Submission path ------------------------------------------------------------------------- */

/* Submit everything queued since the last poll in as few io_submit() calls as possible. */
static int
aio_submit_pending(struct aio_channel *ach)
{
	struct iocb *batch[VD_BDEV_AIO_QUEUE_DEPTH];
	uint32_t n = ach->npending, done = 0;
	int rc;

	/* Completions below may queue new iocbs: take the batch out of the channel first. */
	memcpy(batch, ach->pending, n * sizeof(batch[0]));
	ach->npending = 0;
	while (done < n) {
		rc = io_submit(ach->ctx, (long)(n - done), &batch[done]);
		if (rc > 0) {
			done += (uint32_t)rc;
			ach->inflight += (uint32_t)rc;
		} else if (rc == -EAGAIN || rc == 0) {
			/* Kernel out of resources: the bdev layer retries the rest. */
			for (; done < n; done++) {
				vd_bdev_io_complete(batch[done]->data, VD_BDEV_IO_STATUS_NOMEM);
			}
		} else {
			/* The first iocb of the remainder is bad; keep going with the others. */
			vd_bdev_io_complete_errno(batch[done]->data, rc);
			done++;
		}
	}
	return (int)n;
}

static int
aio_poll(void *arg)
{
	struct aio_channel *ach = arg;
	int work = 0;

	if (ach->npending > 0) {
		work += aio_submit_pending(ach);
	}
	if (ach->inflight > 0) {
		work += aio_reap(ach);
	}
	return work > 0 ? VD_POLLER_BUSY : VD_POLLER_IDLE;
}

/* Queue a READ, WRITE or FLUSH iocb for the next poll. */
static void
aio_queue(struct aio_channel *ach, struct vd_bdev_io *bdev_io)
{
	struct aio_disk *disk = ach->disk;
	struct aio_task *task = vd_bdev_io_get_driver_ctx(bdev_io);
	uint64_t offset = bdev_io->offset_blocks * disk->fdisk.bdev.blocklen;

	if (ach->npending + ach->inflight >= VD_BDEV_AIO_QUEUE_DEPTH) {
		vd_bdev_io_complete(bdev_io, VD_BDEV_IO_STATUS_NOMEM);
		return;
	}
	task->len = bdev_io->num_blocks * disk->fdisk.bdev.blocklen;
	if (bdev_io->type == VD_BDEV_IO_TYPE_READ) {
		io_prep_preadv(&task->iocb, disk->fdisk.file.fd, bdev_io->iovs, bdev_io->iovcnt,
			       (long long)offset);
	} else if (bdev_io->type == VD_BDEV_IO_TYPE_WRITE) {
		io_prep_pwritev(&task->iocb, disk->fdisk.file.fd, bdev_io->iovs, bdev_io->iovcnt,
				(long long)offset);
	} else {
		io_prep_fdsync(&task->iocb, disk->fdisk.file.fd);
		task->len = 0;
	}
	task->iocb.data = bdev_io;
	ach->pending[ach->npending++] = &task->iocb;
}

static void
aio_submit_request(struct vd_io_channel *ch, struct vd_bdev_io *bdev_io)
{
	struct aio_channel *ach = vd_io_channel_get_ctx(ch);
	struct aio_disk *disk = bdev_io->bdev->ctxt;

	switch (bdev_io->type) {
	case VD_BDEV_IO_TYPE_READ:
	case VD_BDEV_IO_TYPE_WRITE:
		aio_queue(ach, bdev_io);
		return;
	case VD_BDEV_IO_TYPE_FLUSH:
		if (vd_bdev_file_flag_get(&disk->fdsync_unsupported)) {
			aio_flush_sync(bdev_io);
		} else {
			aio_queue(ach, bdev_io);
		}
		return;
	case VD_BDEV_IO_TYPE_UNMAP:
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		vd_bdev_file_disk_submit_meta(&disk->fdisk, bdev_io);
		return;
	default:
		vd_bdev_io_complete_errno(bdev_io, -ENOTSUP);
		return;
	}
}

/* Channels -------------------------------------------------------------------------------- */

static int
aio_ch_create(void *io_device, void *ctx_buf)
{
	struct aio_channel *ach = ctx_buf;
	struct aio_ring_hdr *ring;
	int rc;

	memset(ach, 0, sizeof(*ach));
	ach->disk = io_device;
	rc = io_setup(VD_BDEV_AIO_QUEUE_DEPTH, &ach->ctx);
	if (rc != 0) {
		VD_ERRLOG("%s: io_setup(%d) failed: %s%s\n", ach->disk->fdisk.bdev.name,
			  VD_BDEV_AIO_QUEUE_DEPTH, strerror(-rc),
			  rc == -EAGAIN ? " (raise /proc/sys/fs/aio-max-nr)" : "");
		return rc;
	}
	ring = (struct aio_ring_hdr *)ach->ctx;
	ach->user_reap = ring->magic == AIO_RING_MAGIC && ring->incompat_features == 0;
	ach->poller = vd_poller_register(aio_poll, ach, 0, "bdev_aio_poll");
	if (ach->poller == NULL) {
		VD_ERRLOG("%s: cannot register the AIO poller\n", ach->disk->fdisk.bdev.name);
		io_destroy(ach->ctx);
		return -ENOMEM;
	}
	return 0;
}

static void
aio_ch_destroy(void *io_device, void *ctx_buf)
{
	struct aio_channel *ach = ctx_buf;
	struct timespec wait = { AIO_DESTROY_WAIT_SEC, 0 };
	struct io_event ev[AIO_REAP_BATCH];
	int n;

	vd_poller_unregister(&ach->poller);
	if (ach->npending > 0 || ach->inflight > 0) {
		/* The bdev layer drains channels before releasing them; this is a bug upstream. */
		VD_ERRLOG("%s: channel released with %u queued and %u in-flight I/O\n",
			  ach->disk->fdisk.bdev.name, ach->npending, ach->inflight);
	}
	/* Never let the kernel write into buffers that may be reused: wait for stray I/O. */
	while (ach->inflight > 0) {
		n = io_getevents(ach->ctx, 1, VD_MIN(ach->inflight, AIO_REAP_BATCH), ev, &wait);
		if (n <= 0) {
			break;
		}
		ach->inflight -= (uint32_t)n;
	}
	io_destroy(ach->ctx);
}

/* Bdev function table and module --------------------------------------------------------- */

static const struct vd_bdev_fn_table g_aio_fn_table = {
	.destruct		= vd_bdev_file_disk_destruct,
	.submit_request		= aio_submit_request,
	.io_type_supported	= vd_bdev_file_disk_io_type_supported,
	.get_io_channel		= vd_bdev_file_disk_get_io_channel,
	.dump_info_json		= vd_bdev_file_disk_dump_info_json,
	.write_config_json	= vd_bdev_file_disk_write_config_json,
};

static int
aio_module_init(void)
{
	return 0;
}

static void
aio_module_fini(void)
{
}

static size_t
aio_get_ctx_size(void)
{
	return sizeof(struct aio_task);
}

struct vd_bdev_module vd_bdev_aio_module = {
	.name		= "aio",
	.module_init	= aio_module_init,
	.module_fini	= aio_module_fini,
	.get_ctx_size	= aio_get_ctx_size,
};

const struct vd_bdev_file_backend bdev_aio_backend = {
	.info_key	= "aio",
	.label		= "AIO",
	.product_name	= "AIO disk",
	.create_method	= "bdev_aio_create",
	.module		= &vd_bdev_aio_module,
	.fn_table	= &g_aio_fn_table,
	.disk_size	= sizeof(struct aio_disk),
	.ch_create	= aio_ch_create,
	.ch_destroy	= aio_ch_destroy,
	.ch_size	= sizeof(struct aio_channel),
};

int
vd_bdev_aio_create(const struct vd_bdev_aio_opts *opts, struct vd_bdev **bdev)
{
	char err[256] = "";

	return vd_bdev_file_disk_create(&bdev_aio_backend, opts->name, opts->filename,
					opts->block_size, bdev, err, sizeof(err));
}

int
vd_bdev_aio_delete(const char *name, vd_bdev_aio_delete_cb cb, void *cb_arg)
{
	return vd_bdev_file_disk_delete(&bdev_aio_backend, name, cb, cb_arg);
}
