/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * io_uring bdev backend (see include/vhostd/bdev_uring.h).  File opening and probing is shared
 * with the AIO backend (include/vhostd_internal/bdev_file.h, implemented in lib/bdev_aio).
 *
 * Objects:
 *   struct vd_bdev_file_disk  one per bdev, the skeleton shared with the AIO backend
 *                         (include/vhostd_internal/bdev_file.h); its address is the io_device.
 *   struct uring_channel  one per (disk, thread): a ring and a poller.
 *
 * Channel invariants (owning thread only):
 *   queued + inflight <= VD_BDEV_URING_QUEUE_DEPTH (the SQ size; the CQ is twice that, so it
 *   cannot overflow);
 *   queued counts SQEs prepared by submit_request and not yet taken by io_uring_submit();
 *   inflight counts SQEs the kernel took whose CQE has not been reaped;
 *   each SQE's user_data is its bdev_io, completed exactly once when its CQE is reaped.
 *
 * Disk life cycle: the shared skeleton's (lib/bdev_aio/bdev_file.c: created → removing →
 * destruct → freed once every channel is gone).
 */

#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vhostd/bdev_module.h"
#include "vhostd/log.h"
#include "vhostd/thread.h"
#include "vhostd_internal/bdev_file.h"
#include "bdev_uring_internal.h"

#define URING_REAP_BATCH	64

struct uring_channel {
	struct vd_bdev_file_disk *disk;
	struct io_uring ring;
	struct vd_poller *poller;
	int fd;			/* 0 (fixed file index) or the file's descriptor */
	uint8_t sqe_flags;	/* IOSQE_FIXED_FILE when the file is registered */
	uint32_t queued;
	uint32_t inflight;
	struct vd_log_ratelimit submit_rl;
};

/* Expected result of a READ/WRITE, kept in the driver context. */
struct uring_task {
	uint64_t len;
};

/* Poller ---------------------------------------------------------------------------------- */

static void
uring_complete(struct vd_bdev_io *bdev_io, int res)
{
	struct uring_task *task = vd_bdev_io_get_driver_ctx(bdev_io);

	if (res == -EAGAIN) {
		vd_bdev_io_complete(bdev_io, VD_BDEV_IO_STATUS_NOMEM);
	} else if (res < 0) {
		vd_bdev_io_complete_errno(bdev_io, res);
	} else if ((uint64_t)res != task->len) {
		/* A short transfer means the file shrank under us. */
		vd_bdev_io_complete_errno(bdev_io, -EIO);
	} else {
		vd_bdev_io_complete(bdev_io, VD_BDEV_IO_STATUS_SUCCESS);
	}
}

static int
uring_reap(struct uring_channel *uch)
{
	struct io_uring_cqe *cqes[URING_REAP_BATCH];
	struct vd_bdev_io *ios[URING_REAP_BATCH];
	int res[URING_REAP_BATCH];
	unsigned int n, i;

	n = io_uring_peek_batch_cqe(&uch->ring, cqes, URING_REAP_BATCH);
	if (n == 0) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		ios[i] = io_uring_cqe_get_data(cqes[i]);
		res[i] = cqes[i]->res;
	}
	/* Release the CQEs before completing: completions may queue new SQEs. */
	io_uring_cq_advance(&uch->ring, n);
	uch->inflight -= n;
	for (i = 0; i < n; i++) {
		uring_complete(ios[i], res[i]);
	}
	return (int)n;
}

static int
uring_submit(struct uring_channel *uch)
{
	int rc;

	rc = io_uring_submit(&uch->ring);
	if (rc < 0) {
		/* The SQEs stay in the ring and go with the next attempt. */
		if (rc != -EAGAIN && rc != -EBUSY && rc != -EINTR &&
		    vd_log_ratelimit_ok(&uch->submit_rl, 1)) {
			VD_ERRLOG("%s: io_uring_submit failed: %s\n", uch->disk->bdev.name,
				  strerror(-rc));
		}
		return 0;
	}
	uch->queued -= (uint32_t)rc;
	uch->inflight += (uint32_t)rc;
	return rc;
}

static int
uring_poll(void *arg)
{
	struct uring_channel *uch = arg;
	int work = 0;

	if (uch->queued > 0) {
		work += uring_submit(uch);
	}
	if (uch->inflight > 0) {
		work += uring_reap(uch);
	}
	return work > 0 ? VD_POLLER_BUSY : VD_POLLER_IDLE;
}

/* Submission ------------------------------------------------------------------------------ */

/* Prepare the SQE of a READ, WRITE or FLUSH; the poller submits it. */
static void
uring_queue(struct uring_channel *uch, struct vd_bdev_io *bdev_io)
{
	struct uring_task *task = vd_bdev_io_get_driver_ctx(bdev_io);
	uint64_t offset = bdev_io->offset_blocks * uch->disk->bdev.blocklen;
	struct io_uring_sqe *sqe;

	sqe = uch->queued + uch->inflight < VD_BDEV_URING_QUEUE_DEPTH ?
	      io_uring_get_sqe(&uch->ring) : NULL;
	if (sqe == NULL) {
		vd_bdev_io_complete(bdev_io, VD_BDEV_IO_STATUS_NOMEM);
		return;
	}
	task->len = bdev_io->num_blocks * uch->disk->bdev.blocklen;
	if (bdev_io->type == VD_BDEV_IO_TYPE_READ) {
		io_uring_prep_readv(sqe, uch->fd, bdev_io->iovs, (unsigned int)bdev_io->iovcnt,
				    offset);
	} else if (bdev_io->type == VD_BDEV_IO_TYPE_WRITE) {
		io_uring_prep_writev(sqe, uch->fd, bdev_io->iovs, (unsigned int)bdev_io->iovcnt,
				     offset);
	} else {
		io_uring_prep_fsync(sqe, uch->fd, IORING_FSYNC_DATASYNC);
		task->len = 0;
	}
	sqe->flags |= uch->sqe_flags;
	io_uring_sqe_set_data(sqe, bdev_io);
	uch->queued++;
}

static void
uring_submit_request(struct vd_io_channel *ch, struct vd_bdev_io *bdev_io)
{
	struct uring_channel *uch = vd_io_channel_get_ctx(ch);

	switch (bdev_io->type) {
	case VD_BDEV_IO_TYPE_READ:
	case VD_BDEV_IO_TYPE_WRITE:
	case VD_BDEV_IO_TYPE_FLUSH:
		uring_queue(uch, bdev_io);
		return;
	case VD_BDEV_IO_TYPE_UNMAP:
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		vd_bdev_file_disk_submit_meta(uch->disk, bdev_io);
		return;
	default:
		vd_bdev_io_complete_errno(bdev_io, -ENOTSUP);
		return;
	}
}

/* Channels -------------------------------------------------------------------------------- */

static int
uring_ch_create(void *io_device, void *ctx_buf)
{
	struct uring_channel *uch = ctx_buf;
	int rc;

	memset(uch, 0, sizeof(*uch));
	uch->disk = io_device;
	rc = io_uring_queue_init(VD_BDEV_URING_QUEUE_DEPTH, &uch->ring, 0);
	if (rc != 0) {
		VD_ERRLOG("%s: io_uring_queue_init(%d) failed: %s\n", uch->disk->bdev.name,
			  VD_BDEV_URING_QUEUE_DEPTH, strerror(-rc));
		return rc;
	}
	/* A fixed file saves a file-table lookup per I/O; plain fds work too. */
	uch->fd = uch->disk->file.fd;
	if (io_uring_register_files(&uch->ring, &uch->disk->file.fd, 1) == 0) {
		uch->fd = 0;
		uch->sqe_flags = IOSQE_FIXED_FILE;
	}
	uch->poller = vd_poller_register(uring_poll, uch, 0, "bdev_uring_poll");
	if (uch->poller == NULL) {
		VD_ERRLOG("%s: cannot register the io_uring poller\n", uch->disk->bdev.name);
		io_uring_queue_exit(&uch->ring);
		return -ENOMEM;
	}
	return 0;
}

static void
uring_ch_destroy(void *io_device, void *ctx_buf)
{
	struct uring_channel *uch = ctx_buf;

	vd_poller_unregister(&uch->poller);
	if (uch->queued > 0 || uch->inflight > 0) {
		/* The bdev layer drains channels before releasing them; this is a bug upstream.
		 * io_uring_queue_exit() still waits for the kernel to finish with the buffers. */
		VD_ERRLOG("%s: channel released with %u queued and %u in-flight I/O\n",
			  uch->disk->bdev.name, uch->queued, uch->inflight);
	}
	io_uring_queue_exit(&uch->ring);
}

/* Bdev function table and module --------------------------------------------------------- */

static const struct vd_bdev_fn_table g_uring_fn_table = {
	.destruct		= vd_bdev_file_disk_destruct,
	.submit_request		= uring_submit_request,
	.io_type_supported	= vd_bdev_file_disk_io_type_supported,
	.get_io_channel		= vd_bdev_file_disk_get_io_channel,
	.dump_info_json		= vd_bdev_file_disk_dump_info_json,
	.write_config_json	= vd_bdev_file_disk_write_config_json,
};

static size_t
uring_get_ctx_size(void)
{
	return sizeof(struct uring_task);
}

struct vd_bdev_module vd_bdev_uring_module = {
	.name		= "uring",
	.get_ctx_size	= uring_get_ctx_size,
};

/* Fail early and clearly when the kernel (or a seccomp filter) has no io_uring. */
static int
uring_probe_kernel(char *err, size_t errlen)
{
	struct io_uring ring;
	int rc;

	rc = io_uring_queue_init(2, &ring, 0);
	if (rc != 0) {
		snprintf(err, errlen, "io_uring is not available: %s%s", strerror(-rc),
			 rc == -EPERM ? " (see /proc/sys/kernel/io_uring_disabled)" : "");
		return rc;
	}
	io_uring_queue_exit(&ring);
	return 0;
}

const struct vd_bdev_file_backend bdev_uring_backend = {
	.info_key	= "uring",
	.label		= "io_uring",
	.product_name	= "io_uring disk",
	.create_method	= "bdev_uring_create",
	.module		= &vd_bdev_uring_module,
	.fn_table	= &g_uring_fn_table,
	.disk_size	= sizeof(struct vd_bdev_file_disk),
	.ch_create	= uring_ch_create,
	.ch_destroy	= uring_ch_destroy,
	.ch_size	= sizeof(struct uring_channel),
	.check		= uring_probe_kernel,
};

int
vd_bdev_uring_create(const struct vd_bdev_uring_opts *opts, struct vd_bdev **bdev)
{
	char err[256] = "";

	return vd_bdev_file_disk_create(&bdev_uring_backend, opts->name, opts->filename,
					opts->block_size, bdev, err, sizeof(err));
}

int
vd_bdev_uring_delete(const char *name, vd_bdev_uring_delete_cb cb, void *cb_arg)
{
	return vd_bdev_file_disk_delete(&bdev_uring_backend, name, cb, cb_arg);
}
