/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Malloc bdev module: RAM disks in DMA-safe memory.
 *
 * The data is copied at submission; completion, the shared io_device, naming, registration and
 * the disk list are the skeleton of include/vhostd_internal/bdev_sync.h (lib/bdev/bdev_sync.c).
 * A disk is freed by malloc_destruct(), which the bdev layer calls once the last descriptor has
 * closed and every channel of the bdev is gone.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vhostd/bdev_malloc.h"
#include "vhostd/env.h"
#include "vhostd/log.h"
#include "vhostd_internal/bdev_sync.h"

struct malloc_disk {
	struct vd_bdev_sync_disk sdisk;	/* first: bdev.ctxt is the disk */
	void			*buf;
	uint32_t		shift;		/* log2(block size) */
};

/* I/O path ---------------------------------------------------------------------------------- */

static void
malloc_copy(struct malloc_disk *disk, struct vd_bdev_io *io, bool to_disk)
{
	char *p = (char *)disk->buf + (io->offset_blocks << disk->shift);
	int i;

	for (i = 0; i < io->iovcnt; i++) {
		if (to_disk) {
			memcpy(p, io->iovs[i].iov_base, io->iovs[i].iov_len);
		} else {
			memcpy(io->iovs[i].iov_base, p, io->iovs[i].iov_len);
		}
		p += io->iovs[i].iov_len;
	}
}

static void
malloc_submit(struct vd_io_channel *ioch, struct vd_bdev_io *io)
{
	struct malloc_disk *disk = io->bdev->ctxt;

	switch (io->type) {
	case VD_BDEV_IO_TYPE_READ:
		malloc_copy(disk, io, false);
		break;
	case VD_BDEV_IO_TYPE_WRITE:
		malloc_copy(disk, io, true);
		break;
	case VD_BDEV_IO_TYPE_UNMAP:
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		memset((char *)disk->buf + (io->offset_blocks << disk->shift), 0,
		       io->num_blocks << disk->shift);
		break;
	default:
		break;	/* FLUSH, RESET: nothing is cached, nothing is in flight */
	}
	vd_bdev_sync_submit_done(ioch, io);
}

/* Life cycle -------------------------------------------------------------------------------- */

static void
malloc_disk_free(struct malloc_disk *disk)
{
	vd_dma_free(disk->buf);
	free(disk->sdisk.bdev.name);
	free(disk);
}

static int
malloc_destruct(void *ctx)
{
	struct malloc_disk *disk = ctx;

	vd_bdev_sync_disk_remove(&disk->sdisk);
	malloc_disk_free(disk);
	return 0;
}

static const struct vd_bdev_fn_table g_malloc_fn_table = {
	.destruct		= malloc_destruct,
	.submit_request		= malloc_submit,
	.io_type_supported	= vd_bdev_sync_io_type_supported,
	.get_io_channel		= vd_bdev_sync_get_io_channel,
	.write_config_json	= vd_bdev_sync_write_config_json,
};

static struct vd_bdev_sync_module g_malloc = {
	.label			= "malloc",
	.io_name		= "bdev_malloc",
	.create_method		= "bdev_malloc_create",
	.product_name		= "Malloc disk",
	.auto_name_prefix	= "Malloc",
	.module			= &vd_bdev_malloc_module,
	.fn_table		= &g_malloc_fn_table,
	VD_BDEV_SYNC_MODULE_INIT(g_malloc),
};

static int
malloc_init(void)
{
	vd_bdev_sync_io_device_register(&g_malloc);
	return 0;
}

static void
malloc_fini(void)
{
	vd_bdev_sync_io_device_unregister(&g_malloc);
}

struct vd_bdev_module vd_bdev_malloc_module = {
	.name		= "malloc",
	.module_init	= malloc_init,
	.module_fini	= malloc_fini,
	.get_ctx_size	= vd_bdev_sync_get_ctx_size,
};

static struct malloc_disk *
malloc_disk_alloc(const struct vd_bdev_malloc_opts *opts, uint64_t size)
{
	struct malloc_disk *disk = calloc(1, sizeof(*disk));

	if (disk == NULL) {
		return NULL;
	}
	disk->buf = vd_dma_zmalloc(size, 4096);
	if (disk->buf == NULL) {
		VD_ERRLOG("malloc bdev %s: cannot allocate %" PRIu64 " bytes of DMA memory\n",
			  opts->name ? opts->name : "(auto)", size);
		free(disk);
		return NULL;
	}
	disk->shift = (uint32_t)__builtin_ctz(opts->block_size);
	vd_bdev_sync_disk_init(&disk->sdisk, &g_malloc, opts->num_blocks, opts->block_size,
			       opts->uuid);
	return disk;
}

int
vd_bdev_malloc_create(const struct vd_bdev_malloc_opts *opts, struct vd_bdev **bdev)
{
	struct malloc_disk *disk;
	uint64_t size;
	int rc;

	rc = vd_bdev_sync_check_geometry(&g_malloc, opts->num_blocks, opts->block_size,
					 SIZE_MAX / 2, &size);
	if (rc != 0) {
		return rc;
	}
	disk = malloc_disk_alloc(opts, size);
	if (disk == NULL) {
		return -ENOMEM;
	}
	rc = vd_bdev_sync_disk_register(&disk->sdisk, opts->name);
	if (rc != 0) {
		malloc_disk_free(disk);
		return rc;
	}
	*bdev = &disk->sdisk.bdev;
	return 0;
}

int
vd_bdev_malloc_delete(const char *name, vd_bdev_unregister_cb cb, void *cb_arg)
{
	return vd_bdev_sync_delete(&vd_bdev_malloc_module, name, cb, cb_arg);
}
