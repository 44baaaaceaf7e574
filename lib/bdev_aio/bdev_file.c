/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Open and probe the file or block device behind an AIO or io_uring bdev, and the disk skeleton
 * both backends share: creation, deletion and the function-table entries other than
 * submit_request (include/vhostd_internal/bdev_file.h).  Lives in lib/bdev_aio; lib/bdev_uring
 * links it.
 *
 * Invariants after a successful vd_bdev_file_open():
 *   fd >= 0 is open O_RDWR | O_DIRECT;
 *   block_size is a power of two in [512, 65536] and >= dev_block_size;
 *   num_blocks > 0 and num_blocks * block_size <= the size of the file or device.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhostd/bdev_module.h"
#include "vhostd/log.h"
#include "vhostd/thread.h"
#include "vhostd/util.h"
#include "vhostd_internal/bdev_file.h"

static void
file_err(char *err, size_t errlen, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	VD_ERRLOG("%s\n", buf);
	if (err != NULL && errlen > 0) {
		vd_strcpy_trunc(err, errlen, buf);
	}
}

bool
vd_bdev_file_block_size_valid(uint64_t block_size)
{
	return VD_IS_POW2(block_size) && block_size >= VD_BDEV_FILE_MIN_BLOCK_SIZE &&
	       block_size <= VD_BDEV_FILE_MAX_BLOCK_SIZE;
}

/* Size and logical block size of a block device. */
static int
probe_blockdev(struct vd_bdev_file *file, uint64_t *size)
{
	int lbs = 0;

	if (ioctl(file->fd, BLKGETSIZE64, size) != 0) {
		return -errno;
	}
	if (ioctl(file->fd, BLKSSZGET, &lbs) != 0) {
		return -errno;
	}
	file->dev_block_size = (uint32_t)lbs;
	return 0;
}

/* Size of a regular file and the offset alignment O_DIRECT needs on it. */
static int
probe_regular(struct vd_bdev_file *file, uint64_t *size)
{
	struct statx stx;

	memset(&stx, 0, sizeof(stx));
	if (statx(file->fd, "", AT_EMPTY_PATH, STATX_SIZE | STATX_DIOALIGN, &stx) != 0) {
		return -errno;
	}
	*size = stx.stx_size;
	file->dev_block_size = VD_BDEV_FILE_MIN_BLOCK_SIZE;
	/* Kernels before 6.1 (or file systems that do not say) leave the mask bit clear. */
	if ((stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align > 0) {
		file->dev_block_size = VD_MAX(stx.stx_dio_offset_align,
					      VD_BDEV_FILE_MIN_BLOCK_SIZE);
	}
	return 0;
}

/* Fill dev_block_size, block_size and num_blocks; fd is open. */
static int
file_probe(const char *name, struct vd_bdev_file *file, uint32_t block_size, char *err,
	   size_t errlen)
{
	struct stat st;
	uint64_t size = 0;
	int rc;

	if (fstat(file->fd, &st) != 0) {
		rc = -errno;
		file_err(err, errlen, "%s: cannot stat %s: %s", name, file->filename, strerror(-rc));
		return rc;
	}
	if (S_ISBLK(st.st_mode)) {
		file->is_blockdev = true;
		rc = probe_blockdev(file, &size);
	} else if (S_ISREG(st.st_mode)) {
		rc = probe_regular(file, &size);
	} else {
		file_err(err, errlen, "%s: %s is neither a regular file nor a block device", name,
			 file->filename);
		return -EINVAL;
	}
	if (rc != 0) {
		file_err(err, errlen, "%s: cannot probe %s: %s", name, file->filename, strerror(-rc));
		return rc;
	}
	if (!vd_bdev_file_block_size_valid(file->dev_block_size)) {
		file_err(err, errlen, "%s: %s has an unsupported logical block size %u", name,
			 file->filename, file->dev_block_size);
		return -EINVAL;
	}
	if (block_size == 0) {
		block_size = file->dev_block_size;
	} else if (!vd_bdev_file_block_size_valid(block_size)) {
		file_err(err, errlen, "%s: block_size %u is not a power of two in [512, 65536]",
			 name, block_size);
		return -EINVAL;
	} else if (block_size < file->dev_block_size) {
		file_err(err, errlen,
			 "%s: block_size %u is smaller than the logical block size %u of %s",
			 name, block_size, file->dev_block_size, file->filename);
		return -EINVAL;
	}
	file->block_size = block_size;
	file->num_blocks = size / block_size;
	if (file->num_blocks == 0) {
		file_err(err, errlen, "%s: %s is smaller than one block (%" PRIu64 " bytes < %u)",
			 name, file->filename, size, block_size);
		return -EINVAL;
	}
	if (size % block_size != 0) {
		VD_NOTICELOG("%s: size of %s (%" PRIu64 " bytes) is not a multiple of %u; "
			     "the last %" PRIu64 " bytes are not used\n", name, file->filename,
			     size, block_size, size % block_size);
	}
	return 0;
}

int
vd_bdev_file_open(const char *name, const char *filename, uint32_t block_size,
		  struct vd_bdev_file *file, char *err, size_t errlen)
{
	int rc;

	memset(file, 0, sizeof(*file));
	file->fd = -1;
	file->filename = strdup(filename);
	if (file->filename == NULL) {
		file_err(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	file->fd = open(filename, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (file->fd < 0) {
		rc = -errno;
		file_err(err, errlen, "%s: cannot open %s read-write with O_DIRECT: %s%s", name,
			 filename, strerror(-rc),
			 rc == -EINVAL ? " (the file system may not support O_DIRECT)" : "");
		goto err_close;
	}
	rc = file_probe(name, file, block_size, err, errlen);
	if (rc != 0) {
		goto err_close;
	}
	return 0;

err_close:
	vd_bdev_file_close(file);
	return rc;
}

void
vd_bdev_file_close(struct vd_bdev_file *file)
{
	if (file->fd >= 0) {
		close(file->fd);
		file->fd = -1;
	}
	free(file->filename);
	file->filename = NULL;
}

int
vd_bdev_file_unmap(const struct vd_bdev_file *file, uint64_t offset, uint64_t len)
{
	uint64_t range[2] = { offset, len };

	if (file->is_blockdev) {
		return ioctl(file->fd, BLKDISCARD, range) == 0 ? 0 : -errno;
	}
	if (fallocate(file->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
		      (off_t)len) != 0) {
		return -errno;
	}
	return 0;
}

int
vd_bdev_file_write_zeroes(const struct vd_bdev_file *file, uint64_t offset, uint64_t len)
{
	if (file->is_blockdev) {
		return -EOPNOTSUPP;
	}
	if (fallocate(file->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
		      (off_t)len) != 0) {
		return -errno;
	}
	return 0;
}

/* Disk skeleton ---------------------------------------------------------------------------- */

void
vd_bdev_file_disk_submit_meta(struct vd_bdev_file_disk *disk, struct vd_bdev_io *bdev_io)
{
	uint64_t offset = bdev_io->offset_blocks * disk->bdev.blocklen;
	uint64_t len = bdev_io->num_blocks * disk->bdev.blocklen;
	int rc;

	if (bdev_io->type == VD_BDEV_IO_TYPE_UNMAP) {
		rc = vd_bdev_file_unmap(&disk->file, offset, len);
		if (rc == -EOPNOTSUPP) {
			vd_bdev_file_flag_set(&disk->unmap_unsupported);
		}
	} else {
		rc = vd_bdev_file_write_zeroes(&disk->file, offset, len);
		if (rc == -EOPNOTSUPP) {
			vd_bdev_file_flag_set(&disk->write_zeroes_unsupported);
		}
	}
	vd_bdev_io_complete_errno(bdev_io, rc);
}

static void
file_disk_free(struct vd_bdev_file_disk *disk)
{
	vd_bdev_file_close(&disk->file);
	free(disk->bdev.name);
	free(disk);
}

static void
file_disk_unregister_done(void *io_device)
{
	struct vd_bdev_file_disk *disk = io_device;

	disk->unregistered = true;
	if (disk->in_unregister) {
		return;	/* file_disk_unregister() finishes synchronously */
	}
	if (disk->registered) {
		vd_bdev_destruct_done(&disk->bdev, 0);
	}
	file_disk_free(disk);
}

/*
 * Unregister the io_device; the disk is freed once no channel is left.
 * \return 0 when that happened at once (disk freed), 1 when file_disk_unregister_done() will.
 */
static int
file_disk_unregister(struct vd_bdev_file_disk *disk)
{
	disk->in_unregister = true;
	vd_io_device_unregister(disk, file_disk_unregister_done);
	disk->in_unregister = false;
	if (disk->unregistered) {
		file_disk_free(disk);
		return 0;
	}
	return 1;
}

int
vd_bdev_file_disk_destruct(void *ctx)
{
	return file_disk_unregister(ctx);
}

bool
vd_bdev_file_disk_io_type_supported(void *ctx, enum vd_bdev_io_type type)
{
	struct vd_bdev_file_disk *disk = ctx;

	switch (type) {
	case VD_BDEV_IO_TYPE_READ:
	case VD_BDEV_IO_TYPE_WRITE:
	case VD_BDEV_IO_TYPE_FLUSH:
		return true;
	case VD_BDEV_IO_TYPE_UNMAP:
		return !vd_bdev_file_flag_get(&disk->unmap_unsupported);
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		return !disk->file.is_blockdev &&
		       !vd_bdev_file_flag_get(&disk->write_zeroes_unsupported);
	default:
		return false;
	}
}

struct vd_io_channel *
vd_bdev_file_disk_get_io_channel(void *ctx)
{
	return vd_get_io_channel(ctx);
}

void
vd_bdev_file_disk_dump_info_json(void *ctx, struct json_object *driver_specific)
{
	struct vd_bdev_file_disk *disk = ctx;
	struct json_object *o = json_object_new_object();

	if (o == NULL) {
		return;
	}
	json_object_object_add(o, "filename", json_object_new_string(disk->file.filename));
	json_object_object_add(o, "block_device", json_object_new_boolean(disk->file.is_blockdev));
	json_object_object_add(o, "device_block_size",
			       json_object_new_int64(disk->file.dev_block_size));
	json_object_object_add(driver_specific, disk->backend->info_key, o);
}

void
vd_bdev_file_disk_write_config_json(struct vd_bdev *bdev, struct json_object *config)
{
	struct vd_bdev_file_disk *disk = bdev->ctxt;
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
	json_object_object_add(entry, "method",
			       json_object_new_string(disk->backend->create_method));
	json_object_object_add(entry, "params", params);
	json_object_array_add(config, entry);
}

static int
file_disk_check_opts(const struct vd_bdev_file_backend *backend, const char *name,
		     const char *filename, uint32_t block_size, char *err, size_t errlen)
{
	const char *why = NULL;

	if (name == NULL || name[0] == '\0') {
		why = "name must not be empty";
	} else if (strlen(name) >= VD_BDEV_MAX_NAME_LEN) {
		why = "name is too long";
	} else if (filename == NULL || filename[0] == '\0') {
		why = "filename must not be empty";
	} else if (block_size != 0 && !vd_bdev_file_block_size_valid(block_size)) {
		why = "block_size must be a power of two in [512, 65536]";
	} else if (vd_bdev_get_by_name(name) != NULL) {
		snprintf(err, errlen, "bdev name '%s' already exists", name);
		return -EEXIST;
	}
	if (why != NULL) {
		vd_strcpy_trunc(err, errlen, why);
		return -EINVAL;
	}
	return backend->check != NULL ? backend->check(err, errlen) : 0;
}

static void
file_disk_init(struct vd_bdev_file_disk *disk, const struct vd_bdev_file_backend *backend)
{
	disk->backend = backend;
	disk->bdev.product_name = backend->product_name;
	disk->bdev.blocklen = disk->file.block_size;
	disk->bdev.blockcnt = disk->file.num_blocks;
	disk->bdev.write_cache = true;
	disk->bdev.required_alignment = disk->file.block_size;
	disk->bdev.ctxt = disk;
	disk->bdev.fn_table = backend->fn_table;
	disk->bdev.module = backend->module;
}

int
vd_bdev_file_disk_create(const struct vd_bdev_file_backend *backend, const char *name,
			 const char *filename, uint32_t block_size, struct vd_bdev **bdev,
			 char *err, size_t errlen)
{
	struct vd_bdev_file_disk *disk;
	int rc;

	rc = file_disk_check_opts(backend, name, filename, block_size, err, errlen);
	if (rc != 0) {
		VD_ERRLOG("%s: %s\n", backend->create_method, err);
		return rc;
	}
	disk = calloc(1, backend->disk_size);
	if (disk == NULL) {
		return -ENOMEM;
	}
	rc = vd_bdev_file_open(name, filename, block_size, &disk->file, err, errlen);
	if (rc != 0) {
		free(disk);
		return rc;
	}
	disk->bdev.name = strdup(name);
	if (disk->bdev.name == NULL) {
		file_disk_free(disk);
		return -ENOMEM;
	}
	file_disk_init(disk, backend);
	vd_io_device_register(disk, backend->ch_create, backend->ch_destroy, backend->ch_size,
			      name);
	rc = vd_bdev_register(&disk->bdev);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot register the bdev: %s", name, strerror(-rc));
		VD_ERRLOG("%s\n", err);
		file_disk_unregister(disk);
		return rc;
	}
	disk->registered = true;
	*bdev = &disk->bdev;
	return 0;
}

int
vd_bdev_file_disk_delete(const struct vd_bdev_file_backend *backend, const char *name,
			 vd_bdev_unregister_cb cb, void *cb_arg)
{
	struct vd_bdev *bdev = name != NULL ? vd_bdev_get_by_name(name) : NULL;

	if (bdev == NULL || bdev->module != backend->module) {
		return -ENODEV;
	}
	vd_bdev_unregister(bdev, cb, cb_arg);
	return 0;
}
