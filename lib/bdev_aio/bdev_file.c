/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Open and probe the file or block device behind an AIO or io_uring bdev
 * (include/vhostd_internal/bdev_file.h).  Lives in lib/bdev_aio; lib/bdev_uring links it.
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

#include "vhostd/log.h"
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
