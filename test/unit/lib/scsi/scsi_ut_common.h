/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Shared fixture of the lib/scsi unit tests: every file of the library (statics visible), one
 * fake thread, the fake bdev module, a device "ut/t0" with LUN 0 on bdev "ut0" (1024 blocks
 * of 512 bytes), and helpers to run a CDB and check the exact status/sense it produced.
 */
#ifndef SCSI_UT_COMMON_H
#define SCSI_UT_COMMON_H

#include <CUnit/Basic.h>

#include "scsi/scsi_cmd.c"
#include "scsi/scsi_dev.c"
#include "scsi/scsi_sbc.c"
#include "scsi/scsi_sense.c"
#include "scsi/scsi_spc.c"

#include "ut_thread.h"
#include "ut_bdev.h"

#define UT_BLOCKS	1024u
#define UT_BS		512u
#define UT_BUF_LEN	(64u * 1024)

static struct vd_scsi_dev *g_dev;
static struct ut_bdev *g_ub;
static struct vd_scsi_task g_task;
static uint8_t g_buf[UT_BUF_LEN];
static struct iovec g_iov;
static uint32_t g_done;
static int g_init_rc;
static uint32_t g_events[2];
static uint32_t g_event_lun;

static void
ut_task_cpl(struct vd_scsi_task *task, void *arg)
{
	uint32_t *n = arg;

	(*n)++;
}

static void
ut_event_cb(struct vd_scsi_dev *dev, uint32_t lun, enum vd_scsi_dev_event ev, void *ctx)
{
	g_events[ev]++;
	g_event_lun = lun;
}

static void
ut_done_cb(void *arg)
{
	(*(uint32_t *)arg)++;
}

static void
ut_init_done(void *arg, int rc)
{
	g_init_rc = rc;
}

static void
ut_fini_done(void *arg)
{
}

static void
ut_unreg_done(void *arg, int rc)
{
}

/* Poll and complete fake bdev I/O until nothing moves (bounded). */
static void
ut_drive(void)
{
	int i, idle = 0;

	/* Stop after a few rounds in which nothing happened (NOMEM retries need time). */
	for (i = 0; i < 200 && idle < 5; i++) {
		ut_time_advance_us(1000);	/* the bdev layer's NOMEM retry poller */
		ut_poll_all();
		idle = ut_bdev_complete_all() == 0 && g_ut_bdev_ctl.pending == 0 ? idle + 1 : 0;
	}
}

static void
ut_task_prep(struct vd_scsi_task *t, const uint8_t *cdb, size_t cdb_len, enum vd_scsi_dir dir,
	     struct iovec *iov, int iovcnt)
{
	memset(t, 0xa5, sizeof(*t));	/* lib/scsi must initialise what it reads */
	memset(t->cdb, 0, sizeof(t->cdb));
	memcpy(t->cdb, cdb, cdb_len);
	t->lun = 0;
	t->tag = 1;
	t->dir = dir;
	t->iovs = iov;
	t->iovcnt = iovcnt;
	t->cpl_fn = ut_task_cpl;
	t->cpl_arg = &g_done;
}

/* Submit, check the async contract, and drive to completion. */
static void
ut_submit(struct vd_scsi_task *t)
{
	uint32_t before = g_done;

	vd_scsi_dev_submit(g_dev, t);
	CU_ASSERT(g_done == before);	/* never inside the call */
	ut_drive();
	CU_ASSERT(g_done == before + 1);
}

/* Run a CDB on LUN 0 with g_buf (len bytes) as the data buffer. */
static void
ut_run(const uint8_t *cdb, size_t cdb_len, enum vd_scsi_dir dir, uint32_t len)
{
	g_iov.iov_base = g_buf;
	g_iov.iov_len = len;
	ut_task_prep(&g_task, cdb, cdb_len, dir, &g_iov, len != 0 ? 1 : 0);
	ut_submit(&g_task);
}

static void
ut_check_good(const struct vd_scsi_task *t)
{
	CU_ASSERT_EQUAL(t->status, VD_SCSI_STATUS_GOOD);
	CU_ASSERT_EQUAL(t->sense_len, 0);
}

static void
ut_check_sense(const struct vd_scsi_task *t, uint8_t key, uint8_t asc, uint8_t ascq)
{
	CU_ASSERT_EQUAL(t->status, VD_SCSI_STATUS_CHECK_CONDITION);
	CU_ASSERT_EQUAL(t->sense_len, 18);
	CU_ASSERT_EQUAL(t->sense[0] & 0x7f, 0x70);
	CU_ASSERT_EQUAL(t->sense[2], key);
	CU_ASSERT_EQUAL(t->sense[7], 10);
	CU_ASSERT_EQUAL(t->sense[12], asc);
	CU_ASSERT_EQUAL(t->sense[13], ascq);
}

/* ILLEGAL REQUEST, INVALID FIELD IN CDB (cdb) or PARAMETER LIST, at byte/bit. */
static inline void
ut_check_field(const struct vd_scsi_task *t, bool cdb, uint16_t byte, uint8_t bit)
{
	ut_check_sense(t, VD_SCSI_SENSE_ILLEGAL_REQUEST, cdb ? 0x24 : 0x26, 0);
	CU_ASSERT_EQUAL(t->sense[15], 0x80 | (cdb ? 0x40 : 0) | 0x08 | bit);
	CU_ASSERT_EQUAL(scsi_be16(&t->sense[16]), byte);
}

static void
ut_lib_init(void)
{
	if (ut_thread_init(1) != 0) {
		exit(1);
	}
	vd_bdev_module_register(&ut_bdev_module);
	vd_bdev_initialize(ut_init_done, NULL);
	ut_poll_all();
	if (g_init_rc != 0) {
		exit(1);
	}
}

static void
ut_lib_fini(void)
{
	vd_bdev_finish(ut_fini_done, NULL);
	ut_poll_all();
	ut_thread_fini();
}

/* Per-test fixture: fresh bdev, device and LUN 0; unit attentions cleared. */
static void
ut_setup(void)
{
	struct vd_scsi_dev_opts opts = {
		.name = "ut/t0", .event_cb = ut_event_cb, .event_ctx = NULL,
	};

	memset(&g_ut_bdev_ctl, 0, sizeof(g_ut_bdev_ctl));
	memset(g_events, 0, sizeof(g_events));
	g_dev = NULL;
	CU_ASSERT(ut_bdev_create("ut0", UT_BLOCKS, UT_BS, &g_ub) == 0);
	CU_ASSERT(vd_scsi_dev_create(&opts, &g_dev) == 0);
	CU_ASSERT(g_dev != NULL && vd_scsi_dev_add_lun(g_dev, 0, "ut0", "scsi:ut/0") == 0);
}

static void
ut_teardown(void)
{
	uint32_t destroyed = 0;

	if (g_dev != NULL) {
		vd_scsi_dev_destroy(g_dev, ut_done_cb, &destroyed);
		ut_drive();
		CU_ASSERT(destroyed == 1);
		g_dev = NULL;
	}
	if (g_ub != NULL && vd_bdev_get_by_name("ut0") != NULL) {
		vd_bdev_unregister(&g_ub->bdev, ut_unreg_done, NULL);
		ut_drive();
	}
	g_ub = NULL;
}

/* Replace the fixture's bdev by one without UNMAP support. */
static inline void
ut_setup_no_unmap(void)
{
	ut_teardown();
	memset(&g_ut_bdev_ctl, 0, sizeof(g_ut_bdev_ctl));
	g_ub = ut_bdev_alloc("ut0", UT_BLOCKS, UT_BS);
	CU_ASSERT_FATAL(g_ub != NULL);
	g_ub->supported[VD_BDEV_IO_TYPE_UNMAP] = false;
	CU_ASSERT_FATAL(vd_bdev_register(&g_ub->bdev) == 0);
	CU_ASSERT_FATAL(vd_scsi_dev_create(&(struct vd_scsi_dev_opts){ .name = "x" }, &g_dev) == 0);
	CU_ASSERT_FATAL(vd_scsi_dev_add_lun(g_dev, 0, "ut0", "scsi:x") == 0);
}

static int
ut_run_suite(CU_pSuite (*add)(void))
{
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	ut_lib_init();
	if (add() == NULL) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	ut_lib_fini();
	return nfail != 0;
}

#endif /* SCSI_UT_COMMON_H */
