/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * A fake bdev module for unit tests of bdev consumers (and of lib/bdev itself).
 *
 *	vd_bdev_module_register(&ut_bdev_module);	(once; then vd_bdev_initialize())
 *	ut_bdev_create("ut0", 1024, 512, &ub);		RAM-backed, every I/O type supported
 *	... submit I/O through the normal consumer API: it stays pending ...
 *	ut_bdev_complete_all();				complete what the current thread submitted
 *	g_ut_bdev_ctl.nomem_next = 2;			next 2 submissions complete NOMEM inline
 *	g_ut_bdev_ctl.fail_next = 1;			next submission fails (fail_errno, default -EIO)
 *	g_ut_bdev_ctl.mode = UT_BDEV_COMPLETE_INLINE;	complete inside submit_request
 *
 * Data moves at completion time (READ copies out, WRITE copies in, UNMAP/WRITE_ZEROES zero),
 * so a test can observe ordering.  Header-only; include it from exactly one .c file.
 */
#ifndef VD_UT_BDEV_H
#define VD_UT_BDEV_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "vhostd/bdev_module.h"
#include "vhostd/thread.h"

enum ut_bdev_mode {
	UT_BDEV_COMPLETE_MANUAL,	/* pending until ut_bdev_complete*() */
	UT_BDEV_COMPLETE_INLINE,	/* completed from inside submit_request */
};

struct ut_bdev_task {
	TAILQ_ENTRY(ut_bdev_task) link;
	struct vd_thread	*thread;
	int			errnum;		/* 0 = success */
};

struct ut_bdev {
	struct vd_bdev	bdev;
	uint8_t		*data;
	bool		supported[VD_BDEV_NUM_IO_TYPES];
	bool		destructed;
};

struct ut_bdev_ctl {
	enum ut_bdev_mode mode;
	uint32_t	nomem_next;	/* complete this many submissions with NOMEM */
	uint32_t	fail_next;	/* fail this many submissions with fail_errno */
	int		fail_errno;
	uint64_t	submitted[VD_BDEV_NUM_IO_TYPES];	/* every submit_request call */
	uint64_t	max_blocks_seen[VD_BDEV_NUM_IO_TYPES];
	uint32_t	pending;
	uint32_t	destructs;
	uint32_t	channels;	/* module channels alive */
};

static struct ut_bdev_ctl g_ut_bdev_ctl;
static TAILQ_HEAD(, ut_bdev_task) g_ut_bdev_pending = TAILQ_HEAD_INITIALIZER(g_ut_bdev_pending);
static int g_ut_bdev_io_device;

static inline struct vd_bdev_io *
ut_bdev_task_io(struct ut_bdev_task *t)
{
	return (struct vd_bdev_io *)((char *)t - offsetof(struct vd_bdev_io, driver_ctx));
}

static void
ut_bdev_move_data(struct vd_bdev_io *io)
{
	struct ut_bdev *ub = io->bdev->ctxt;
	uint8_t *p = ub->data + io->offset_blocks * io->bdev->blocklen;
	int i;

	switch (io->type) {
	case VD_BDEV_IO_TYPE_READ:
	case VD_BDEV_IO_TYPE_WRITE:
		for (i = 0; i < io->iovcnt; i++) {
			if (io->type == VD_BDEV_IO_TYPE_READ) {
				memcpy(io->iovs[i].iov_base, p, io->iovs[i].iov_len);
			} else {
				memcpy(p, io->iovs[i].iov_base, io->iovs[i].iov_len);
			}
			p += io->iovs[i].iov_len;
		}
		break;
	case VD_BDEV_IO_TYPE_UNMAP:
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		memset(p, 0, io->num_blocks * io->bdev->blocklen);
		break;
	default:
		break;
	}
}

static void
ut_bdev_finish_task(struct ut_bdev_task *t)
{
	struct vd_bdev_io *io = ut_bdev_task_io(t);

	if (t->errnum == 0) {
		ut_bdev_move_data(io);
	}
	vd_bdev_io_complete_errno(io, t->errnum);
}

static void
ut_bdev_submit(struct vd_io_channel *ch, struct vd_bdev_io *io)
{
	struct ut_bdev_task *t = vd_bdev_io_get_driver_ctx(io);

	g_ut_bdev_ctl.submitted[io->type]++;
	if (io->num_blocks > g_ut_bdev_ctl.max_blocks_seen[io->type]) {
		g_ut_bdev_ctl.max_blocks_seen[io->type] = io->num_blocks;
	}
	if (g_ut_bdev_ctl.nomem_next > 0) {
		g_ut_bdev_ctl.nomem_next--;
		vd_bdev_io_complete(io, VD_BDEV_IO_STATUS_NOMEM);
		return;
	}
	t->thread = vd_get_thread();
	t->errnum = 0;
	if (g_ut_bdev_ctl.fail_next > 0) {
		g_ut_bdev_ctl.fail_next--;
		t->errnum = g_ut_bdev_ctl.fail_errno != 0 ? g_ut_bdev_ctl.fail_errno : -EIO;
	}
	if (g_ut_bdev_ctl.mode == UT_BDEV_COMPLETE_INLINE) {
		ut_bdev_finish_task(t);
		return;
	}
	TAILQ_INSERT_TAIL(&g_ut_bdev_pending, t, link);
	g_ut_bdev_ctl.pending++;
}

/** Complete up to \p n pending I/O submitted on the current thread (oldest first). */
static inline uint32_t
ut_bdev_complete(uint32_t n)
{
	struct ut_bdev_task *t, *tmp;
	uint32_t done = 0;
	TAILQ_HEAD(, ut_bdev_task) batch = TAILQ_HEAD_INITIALIZER(batch);

	for (t = TAILQ_FIRST(&g_ut_bdev_pending); t != NULL && done < n; t = tmp) {
		tmp = TAILQ_NEXT(t, link);
		if (t->thread == vd_get_thread()) {
			TAILQ_REMOVE(&g_ut_bdev_pending, t, link);
			TAILQ_INSERT_TAIL(&batch, t, link);
			g_ut_bdev_ctl.pending--;
			done++;
		}
	}
	/* Completions may submit again: those stay pending for the next call. */
	while ((t = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, t, link);
		ut_bdev_finish_task(t);
	}
	return done;
}

static inline uint32_t
ut_bdev_complete_all(void)
{
	return ut_bdev_complete(UINT32_MAX);
}

static int
ut_bdev_destruct(void *ctx)
{
	struct ut_bdev *ub = ctx;

	g_ut_bdev_ctl.destructs++;
	free(ub->data);
	free(ub->bdev.name);
	free(ub);
	return 0;
}

static bool
ut_bdev_io_type_supported(void *ctx, enum vd_bdev_io_type type)
{
	return ((struct ut_bdev *)ctx)->supported[type];
}

static int
ut_bdev_ch_create(void *io_device, void *ctx)
{
	g_ut_bdev_ctl.channels++;
	return 0;
}

static void
ut_bdev_ch_destroy(void *io_device, void *ctx)
{
	g_ut_bdev_ctl.channels--;
}

static struct vd_io_channel *
ut_bdev_get_io_channel(void *ctx)
{
	return vd_get_io_channel(&g_ut_bdev_io_device);
}

static size_t
ut_bdev_get_ctx_size(void)
{
	return sizeof(struct ut_bdev_task);
}

static int
ut_bdev_module_init(void)
{
	vd_io_device_register(&g_ut_bdev_io_device, ut_bdev_ch_create, ut_bdev_ch_destroy,
			      sizeof(uint64_t), "ut_bdev");
	return 0;
}

static void
ut_bdev_module_fini(void)
{
	vd_io_device_unregister(&g_ut_bdev_io_device, NULL);
}

static const struct vd_bdev_fn_table g_ut_bdev_fn_table = {
	.destruct = ut_bdev_destruct,
	.submit_request = ut_bdev_submit,
	.io_type_supported = ut_bdev_io_type_supported,
	.get_io_channel = ut_bdev_get_io_channel,
};

static struct vd_bdev_module ut_bdev_module = {
	.name = "ut_bdev",
	.module_init = ut_bdev_module_init,
	.module_fini = ut_bdev_module_fini,
	.get_ctx_size = ut_bdev_get_ctx_size,
};

/** Allocate a fake bdev without registering it (adjust fields/supported[], then register). */
static inline struct ut_bdev *
ut_bdev_alloc(const char *name, uint64_t blockcnt, uint32_t blocklen)
{
	struct ut_bdev *ub = calloc(1, sizeof(*ub));
	int t;

	if (ub == NULL) {
		return NULL;
	}
	ub->data = calloc(blockcnt, blocklen);
	ub->bdev.name = strdup(name);
	ub->bdev.product_name = "UT disk";
	ub->bdev.blocklen = blocklen;
	ub->bdev.blockcnt = blockcnt;
	ub->bdev.ctxt = ub;
	ub->bdev.fn_table = &g_ut_bdev_fn_table;
	ub->bdev.module = &ut_bdev_module;
	for (t = VD_BDEV_IO_TYPE_READ; t < VD_BDEV_NUM_IO_TYPES; t++) {
		ub->supported[t] = true;
	}
	return ub;
}

/** Free a fake bdev that was never registered (or whose registration failed). */
static inline void
ut_bdev_free(struct ut_bdev *ub)
{
	free(ub->data);
	free(ub->bdev.name);
	free(ub);
}

/** Allocate and register.  \return 0 or vd_bdev_register()'s error (nothing leaked). */
static inline int
ut_bdev_create(const char *name, uint64_t blockcnt, uint32_t blocklen, struct ut_bdev **out)
{
	struct ut_bdev *ub = ut_bdev_alloc(name, blockcnt, blocklen);
	int rc;

	if (ub == NULL) {
		return -ENOMEM;
	}
	rc = vd_bdev_register(&ub->bdev);
	if (rc != 0) {
		ut_bdev_free(ub);
		return rc;
	}
	*out = ub;
	return 0;
}

#endif /* VD_UT_BDEV_H */
