/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Linux AIO bdev backend (see include/vhostd/bdev_aio.h).
 *
 * Objects:
 *   struct aio_disk     one per bdev; its address is the io_device.  Owns the open file.
 *   struct aio_channel  one per (disk, thread): a kernel AIO context, the iocbs queued since
 *                       the last poll (pending[]) and a poller.
 *   struct aio_task     per-I/O driver context: the iocb and the byte count it must return.
 *
 * Channel invariants (owning thread only):
 *   npending + inflight <= VD_BDEV_AIO_QUEUE_DEPTH, so the kernel ring never overflows;
 *   every iocb in pending[] belongs to a bdev_io that has not been completed;
 *   inflight counts iocbs accepted by io_submit() whose event has not been reaped.
 *
 * Disk life cycle:
 *   created  bdev_aio_create_ext(): file opened, io_device and bdev registered
 *   removing vd_bdev_aio_delete() → vd_bdev_unregister(); descriptors get REMOVE
 *   destruct aio_destruct(): once the last descriptor is closed, unregisters the io_device
 *   freed    aio_unregister_done(): once every channel is gone; the file is closed
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
	/* Not first: lib/bdev registers &bdev as its own io_device, ours is the disk. */
	struct vd_bdev_file file;
	struct vd_bdev bdev;
	/* Learned from the kernel at run time; read and written with relaxed atomics. */
	bool fdsync_unsupported;
	bool unmap_unsupported;
	bool write_zeroes_unsupported;
	/* Teardown bookkeeping (app thread). */
	bool registered;	/* vd_bdev_register() succeeded */
	bool in_unregister;	/* inside vd_io_device_unregister() */
	bool unregistered;	/* aio_unregister_done() ran */
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

static bool
flag_get(bool *flag)
{
	return __atomic_load_n(flag, __ATOMIC_RELAXED);
}

static void
flag_set(bool *flag)
{
	__atomic_store_n(flag, true, __ATOMIC_RELAXED);
}

/* Completion path ------------------------------------------------------------------------- */

/* Flush for kernels that refuse IOCB_CMD_FDSYNC: a synchronous fdatasync (documented). */
static void
aio_flush_sync(struct vd_bdev_io *bdev_io)
{
	struct aio_disk *disk = bdev_io->bdev->ctxt;

	vd_bdev_io_complete_errno(bdev_io, fdatasync(disk->file.fd) == 0 ? 0 : -errno);
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

		if (!flag_get(&disk->fdsync_unsupported)) {
			VD_NOTICELOG("%s: kernel refuses AIO fdsync; flushing with fdatasync()\n",
				     disk->bdev.name);
			flag_set(&disk->fdsync_unsupported);
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
	uint64_t offset = bdev_io->offset_blocks * disk->bdev.blocklen;

	if (ach->npending + ach->inflight >= VD_BDEV_AIO_QUEUE_DEPTH) {
		vd_bdev_io_complete(bdev_io, VD_BDEV_IO_STATUS_NOMEM);
		return;
	}
	task->len = bdev_io->num_blocks * disk->bdev.blocklen;
	if (bdev_io->type == VD_BDEV_IO_TYPE_READ) {
		io_prep_preadv(&task->iocb, disk->file.fd, bdev_io->iovs, bdev_io->iovcnt,
			       (long long)offset);
	} else if (bdev_io->type == VD_BDEV_IO_TYPE_WRITE) {
		io_prep_pwritev(&task->iocb, disk->file.fd, bdev_io->iovs, bdev_io->iovcnt,
				(long long)offset);
	} else {
		io_prep_fdsync(&task->iocb, disk->file.fd);
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
	uint64_t offset = bdev_io->offset_blocks * disk->bdev.blocklen;
	uint64_t len = bdev_io->num_blocks * disk->bdev.blocklen;
	int rc;

	switch (bdev_io->type) {
	case VD_BDEV_IO_TYPE_READ:
	case VD_BDEV_IO_TYPE_WRITE:
		aio_queue(ach, bdev_io);
		return;
	case VD_BDEV_IO_TYPE_FLUSH:
		if (flag_get(&disk->fdsync_unsupported)) {
			aio_flush_sync(bdev_io);
		} else {
			aio_queue(ach, bdev_io);
		}
		return;
	case VD_BDEV_IO_TYPE_UNMAP:
		rc = vd_bdev_file_unmap(&disk->file, offset, len);
		if (rc == -EOPNOTSUPP) {
			flag_set(&disk->unmap_unsupported);
		}
		vd_bdev_io_complete_errno(bdev_io, rc);
		return;
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		rc = vd_bdev_file_write_zeroes(&disk->file, offset, len);
		if (rc == -EOPNOTSUPP) {
			flag_set(&disk->write_zeroes_unsupported);
		}
		vd_bdev_io_complete_errno(bdev_io, rc);
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
		VD_ERRLOG("%s: io_setup(%d) failed: %s%s\n", ach->disk->bdev.name,
			  VD_BDEV_AIO_QUEUE_DEPTH, strerror(-rc),
			  rc == -EAGAIN ? " (raise /proc/sys/fs/aio-max-nr)" : "");
		return rc;
	}
	ring = (struct aio_ring_hdr *)ach->ctx;
	ach->user_reap = ring->magic == AIO_RING_MAGIC && ring->incompat_features == 0;
	ach->poller = vd_poller_register(aio_poll, ach, 0, "bdev_aio_poll");
	if (ach->poller == NULL) {
		VD_ERRLOG("%s: cannot register the AIO poller\n", ach->disk->bdev.name);
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
			  ach->disk->bdev.name, ach->npending, ach->inflight);
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

/* Bdev function table --------------------------------------------------------------------- */

static void
aio_disk_free(struct aio_disk *disk)
{
	vd_bdev_file_close(&disk->file);
	free(disk->bdev.name);
	free(disk);
}

static void
aio_unregister_done(void *io_device)
{
	struct aio_disk *disk = io_device;

	disk->unregistered = true;
	if (disk->in_unregister) {
		return;	/* aio_disk_unregister() finishes synchronously */
	}
	if (disk->registered) {
		vd_bdev_destruct_done(&disk->bdev, 0);
	}
	aio_disk_free(disk);
}

/*
 * Unregister the io_device; the disk is freed once no channel is left.
 * \return 0 when that happened at once (disk freed), 1 when aio_unregister_done() will do it.
 */
static int
aio_disk_unregister(struct aio_disk *disk)
{
	disk->in_unregister = true;
	vd_io_device_unregister(disk, aio_unregister_done);
	disk->in_unregister = false;
	if (disk->unregistered) {
		aio_disk_free(disk);
		return 0;
	}
	return 1;
}

static int
aio_destruct(void *ctx)
{
	return aio_disk_unregister(ctx);
}

static bool
aio_io_type_supported(void *ctx, enum vd_bdev_io_type type)
{
	struct aio_disk *disk = ctx;

	switch (type) {
	case VD_BDEV_IO_TYPE_READ:
	case VD_BDEV_IO_TYPE_WRITE:
	case VD_BDEV_IO_TYPE_FLUSH:
		return true;
	case VD_BDEV_IO_TYPE_UNMAP:
		return !flag_get(&disk->unmap_unsupported);
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		return !disk->file.is_blockdev && !flag_get(&disk->write_zeroes_unsupported);
	default:
		return false;
	}
}

static struct vd_io_channel *
aio_get_io_channel(void *ctx)
{
	return vd_get_io_channel(ctx);
}

static void
aio_dump_info_json(void *ctx, struct json_object *driver_specific)
{
	struct aio_disk *disk = ctx;
	struct json_object *o = json_object_new_object();

	if (o == NULL) {
		return;
	}
	json_object_object_add(o, "filename", json_object_new_string(disk->file.filename));
	json_object_object_add(o, "block_device", json_object_new_boolean(disk->file.is_blockdev));
	json_object_object_add(o, "device_block_size",
			       json_object_new_int64(disk->file.dev_block_size));
	json_object_object_add(driver_specific, "aio", o);
}

static void
aio_write_config_json(struct vd_bdev *bdev, struct json_object *config_array)
{
	struct aio_disk *disk = bdev->ctxt;
	struct json_object *entry = json_object_new_object();
	struct json_object *params = json_object_new_object();

	if (entry == NULL || params == NULL) {
		json_object_put(entry);
		json_object_put(params);
		return;
	}
	json_object_object_add(params, "name", json_object_new_string(bdev->name));
	json_object_object_add(params, "filename", json_object_new_string(disk->file.filename));
	json_object_object_add(params, "block_size", json_object_new_int64(bdev->blocklen));
	json_object_object_add(entry, "method", json_object_new_string("bdev_aio_create"));
	json_object_object_add(entry, "params", params);
	json_object_array_add(config_array, entry);
}

static const struct vd_bdev_fn_table g_aio_fn_table = {
	.destruct		= aio_destruct,
	.submit_request		= aio_submit_request,
	.io_type_supported	= aio_io_type_supported,
	.get_io_channel		= aio_get_io_channel,
	.dump_info_json		= aio_dump_info_json,
	.write_config_json	= aio_write_config_json,
};

/* Module ---------------------------------------------------------------------------------- */

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

static int
aio_check_opts(const struct vd_bdev_aio_opts *opts, char *err, size_t errlen)
{
	const char *why = NULL;

	if (opts->name == NULL || opts->name[0] == '\0') {
		why = "name must not be empty";
	} else if (strlen(opts->name) >= VD_BDEV_MAX_NAME_LEN) {
		why = "name is too long";
	} else if (opts->filename == NULL || opts->filename[0] == '\0') {
		why = "filename must not be empty";
	} else if (opts->block_size != 0 && !vd_bdev_file_block_size_valid(opts->block_size)) {
		why = "block_size must be a power of two in [512, 65536]";
	} else if (vd_bdev_get_by_name(opts->name) != NULL) {
		snprintf(err, errlen, "bdev name '%s' already exists", opts->name);
		return -EEXIST;
	}
	if (why != NULL) {
		vd_strcpy_trunc(err, errlen, why);
		return -EINVAL;
	}
	return 0;
}

int
bdev_aio_create_ext(const struct vd_bdev_aio_opts *opts, struct vd_bdev **bdev, char *err,
		    size_t errlen)
{
	struct aio_disk *disk;
	int rc;

	rc = aio_check_opts(opts, err, errlen);
	if (rc != 0) {
		VD_ERRLOG("bdev_aio_create: %s\n", err);
		return rc;
	}
	disk = calloc(1, sizeof(*disk));
	if (disk == NULL) {
		return -ENOMEM;
	}
	rc = vd_bdev_file_open(opts->name, opts->filename, opts->block_size, &disk->file, err,
			       errlen);
	if (rc != 0) {
		free(disk);
		return rc;
	}
	disk->bdev.name = strdup(opts->name);
	if (disk->bdev.name == NULL) {
		rc = -ENOMEM;
		goto err_free;
	}
	disk->bdev.product_name = "AIO disk";
	disk->bdev.blocklen = disk->file.block_size;
	disk->bdev.blockcnt = disk->file.num_blocks;
	disk->bdev.write_cache = true;
	disk->bdev.required_alignment = disk->file.block_size;
	disk->bdev.ctxt = disk;
	disk->bdev.fn_table = &g_aio_fn_table;
	disk->bdev.module = &vd_bdev_aio_module;
	vd_io_device_register(disk, aio_ch_create, aio_ch_destroy, sizeof(struct aio_channel),
			      opts->name);
	rc = vd_bdev_register(&disk->bdev);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot register the bdev: %s", opts->name,
			 strerror(-rc));
		VD_ERRLOG("%s\n", err);
		aio_disk_unregister(disk);
		return rc;
	}
	disk->registered = true;
	*bdev = &disk->bdev;
	return 0;

err_free:
	aio_disk_free(disk);
	return rc;
}

int
vd_bdev_aio_create(const struct vd_bdev_aio_opts *opts, struct vd_bdev **bdev)
{
	char err[256] = "";

	return bdev_aio_create_ext(opts, bdev, err, sizeof(err));
}

int
vd_bdev_aio_delete(const char *name, vd_bdev_aio_delete_cb cb, void *cb_arg)
{
	struct vd_bdev *bdev = name != NULL ? vd_bdev_get_by_name(name) : NULL;

	if (bdev == NULL || bdev->module != &vd_bdev_aio_module) {
		return -ENODEV;
	}
	vd_bdev_unregister(bdev, cb, cb_arg);
	return 0;
}
