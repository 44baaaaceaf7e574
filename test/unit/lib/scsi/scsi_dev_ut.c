/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/* Device and LUN life cycle, task management (abort, LUN/target reset and the unit attention
 * they leave), hot-remove, capacity change, completion ordering. */

#include "scsi_ut_common.h"

static struct vd_scsi_task g_tmf;
static uint32_t g_tmf_done;

static void
ut_read_task(struct vd_scsi_task *t, struct iovec *iov, uint64_t lba, uint64_t tag,
	     uint32_t *done)
{
	uint8_t cdb[16] = { SCSI_READ_16 };

	scsi_put_be64(&cdb[2], lba);
	scsi_put_be32(&cdb[10], 1);
	ut_task_prep(t, cdb, 16, VD_SCSI_DIR_FROM_DEV, iov, 1);
	t->tag = tag;
	t->cpl_arg = done;
}

static void
ut_tmf(enum vd_scsi_tmf fn, uint32_t lun, uint64_t tag)
{
	memset(&g_tmf, 0, sizeof(g_tmf));
	g_tmf.tmf = fn;
	g_tmf.lun = lun;
	g_tmf.abort_tag = tag;
	g_tmf.cpl_fn = ut_task_cpl;
	g_tmf.cpl_arg = &g_tmf_done;
	g_tmf_done = 0;
	vd_scsi_dev_task_mgmt(g_dev, &g_tmf);
	CU_ASSERT(g_tmf_done == 0);	/* never inside the call */
}

static void
test_abort_task(void)
{
	struct vd_scsi_task t1, t2;
	struct iovec iov1 = { g_buf, UT_BS }, iov2 = { g_buf + UT_BS, UT_BS };
	uint32_t done1 = 0, done2 = 0;

	ut_read_task(&t1, &iov1, 0, 11, &done1);
	ut_read_task(&t2, &iov2, 1, 12, &done2);
	vd_scsi_dev_submit(g_dev, &t1);
	vd_scsi_dev_submit(g_dev, &t2);
	ut_poll_all();
	CU_ASSERT(g_ut_bdev_ctl.pending == 2);

	/* QUERY TASK finds it. */
	ut_tmf(VD_SCSI_TMF_QUERY_TASK, 0, 12);
	ut_poll_all();
	CU_ASSERT(g_tmf_done == 1 && g_tmf.tmf_response == VD_SCSI_TMF_RESP_SUCCEEDED);

	/* ABORT TASK waits for the bdev I/O of the aborted task. */
	ut_tmf(VD_SCSI_TMF_ABORT_TASK, 0, 12);
	ut_poll_all();
	CU_ASSERT(g_tmf_done == 0);
	ut_bdev_complete_all();
	ut_poll_all();
	CU_ASSERT(done1 == 1 && done2 == 1 && g_tmf_done == 1);
	CU_ASSERT_EQUAL(g_tmf.tmf_response, VD_SCSI_TMF_RESP_COMPLETE);
	ut_check_good(&t1);
	CU_ASSERT(!t1.aborted);
	CU_ASSERT(t2.aborted);
	ut_check_sense(&t2, VD_SCSI_SENSE_ABORTED_COMMAND, 0, 0);
	CU_ASSERT_EQUAL(t2.data_len, 0);

	/* Unknown tag: FUNCTION COMPLETE at once; QUERY TASK: not there. */
	ut_tmf(VD_SCSI_TMF_ABORT_TASK, 0, 99);
	ut_poll_all();
	CU_ASSERT(g_tmf_done == 1 && g_tmf.tmf_response == VD_SCSI_TMF_RESP_COMPLETE);
	ut_tmf(VD_SCSI_TMF_QUERY_TASK, 0, 12);
	ut_poll_all();
	CU_ASSERT(g_tmf_done == 1 && g_tmf.tmf_response == VD_SCSI_TMF_RESP_COMPLETE);

	/* No unit attention after an abort. */
	{
		uint8_t tur[6] = { SCSI_TEST_UNIT_READY };

		ut_run(tur, 6, VD_SCSI_DIR_NONE, 0);
		ut_check_good(&g_task);
	}
}

static void
test_tmf_bad(void)
{
	ut_tmf(VD_SCSI_TMF_LUN_RESET, 4, 0);
	ut_poll_all();
	CU_ASSERT(g_tmf_done == 1 && g_tmf.tmf_response == VD_SCSI_TMF_RESP_INCORRECT_LUN);

	ut_tmf((enum vd_scsi_tmf)42, 0, 0);
	ut_poll_all();
	CU_ASSERT(g_tmf_done == 1 && g_tmf.tmf_response == VD_SCSI_TMF_RESP_REJECTED);
}

static void
test_lun_reset(void)
{
	uint8_t tur[6] = { SCSI_TEST_UNIT_READY };
	struct vd_scsi_task t[3];
	struct iovec iov[3];
	uint32_t done = 0, i;

	for (i = 0; i < 3; i++) {
		iov[i] = (struct iovec){ g_buf + i * UT_BS, UT_BS };
		ut_read_task(&t[i], &iov[i], i, i, &done);
		vd_scsi_dev_submit(g_dev, &t[i]);
	}
	ut_poll_all();
	ut_tmf(VD_SCSI_TMF_LUN_RESET, 0, 0);
	ut_poll_all();
	CU_ASSERT(g_tmf_done == 0);	/* reads still in the "device" */
	ut_drive();
	CU_ASSERT_EQUAL(done, 3);
	CU_ASSERT_EQUAL(g_tmf_done, 1);
	CU_ASSERT_EQUAL(g_tmf.tmf_response, VD_SCSI_TMF_RESP_COMPLETE);
	for (i = 0; i < 3; i++) {
		CU_ASSERT(t[i].aborted);
		ut_check_sense(&t[i], VD_SCSI_SENSE_ABORTED_COMMAND, 0, 0);
	}
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_RESET], 1);

	/* Unit attention reported exactly once. */
	ut_run(tur, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_UNIT_ATTENTION, 0x29, 0x03);
	ut_run(tur, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_good(&g_task);

	/* Reset with nothing outstanding: still answered after the bdev reset. */
	ut_tmf(VD_SCSI_TMF_LUN_RESET, 0, 0);
	ut_drive();
	CU_ASSERT_EQUAL(g_tmf_done, 1);
	ut_run(tur, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_UNIT_ATTENTION, 0x29, 0x03);
}

static void
test_target_reset(void)
{
	uint8_t tur[6] = { SCSI_TEST_UNIT_READY };
	struct ut_bdev *ub1;

	CU_ASSERT_FATAL(ut_bdev_create("ut1", 16, UT_BS, &ub1) == 0);
	CU_ASSERT_FATAL(vd_scsi_dev_add_lun(g_dev, 1, "ut1", "scsi:ut/1") == 0);
	ut_tmf(VD_SCSI_TMF_TARGET_RESET, 7, 0);	/* the LUN does not matter */
	ut_drive();
	CU_ASSERT_EQUAL(g_tmf_done, 1);
	CU_ASSERT_EQUAL(g_tmf.tmf_response, VD_SCSI_TMF_RESP_COMPLETE);
	ut_run(tur, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_UNIT_ATTENTION, 0x29, 0x03);
	g_task.lun = 1;
	ut_submit(&g_task);
	ut_check_sense(&g_task, VD_SCSI_SENSE_UNIT_ATTENTION, 0x29, 0x03);
	ut_submit(&g_task);
	ut_check_good(&g_task);
}

/* A WRITE SAME waiting for the bounce buffer is aborted at once. */
static void
test_abort_bounce_waiter(void)
{
	uint8_t cdb[16] = { SCSI_WRITE_SAME_16 };
	struct vd_scsi_task t1, t2;
	struct iovec iov = { g_buf, UT_BS };
	uint32_t done = 0;

	memset(g_buf, 1, UT_BS);
	scsi_put_be32(&cdb[10], 4);
	ut_task_prep(&t1, cdb, 16, VD_SCSI_DIR_TO_DEV, &iov, 1);
	ut_task_prep(&t2, cdb, 16, VD_SCSI_DIR_TO_DEV, &iov, 1);
	t1.cpl_arg = t2.cpl_arg = &done;
	t2.tag = 2;
	vd_scsi_dev_submit(g_dev, &t1);
	vd_scsi_dev_submit(g_dev, &t2);
	CU_ASSERT(t2.priv.bounce_waiting);
	ut_tmf(VD_SCSI_TMF_ABORT_TASK, 0, 2);
	ut_poll_all();
	CU_ASSERT(done == 1 && t2.aborted);
	CU_ASSERT(g_tmf_done == 1);
	ut_drive();
	CU_ASSERT(done == 2);
	ut_check_good(&t1);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_WRITE], 1);
}

static void
test_hot_remove(void)
{
	uint8_t tur[6] = { SCSI_TEST_UNIT_READY };
	uint8_t inq[6] = { SCSI_INQUIRY, 0, 0, 0, 36, 0 };
	struct vd_scsi_task t1;
	struct iovec iov1 = { g_buf + UT_BS, UT_BS };
	uint32_t done = 0;

	ut_read_task(&t1, &iov1, 0, 5, &done);
	vd_scsi_dev_submit(g_dev, &t1);
	ut_poll_all();
	vd_bdev_unregister(&g_ub->bdev, ut_unreg_done, NULL);
	ut_poll_all();
	/* New commands fail at once, the LUN disappears from the device. */
	CU_ASSERT(!vd_scsi_dev_has_lun(g_dev, 0));
	CU_ASSERT_EQUAL(vd_scsi_dev_get_lun_count(g_dev), 0);
	ut_run(tur, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x25, 0);
	ut_run(inq, 6, VD_SCSI_DIR_FROM_DEV, 36);
	CU_ASSERT_EQUAL(g_buf[0], 0x7f);

	ut_drive();
	CU_ASSERT_EQUAL(done, 1);
	/* The read either finished or was aborted by the bdev going away. */
	CU_ASSERT(t1.status == VD_SCSI_STATUS_GOOD ||
		  (t1.sense[2] == VD_SCSI_SENSE_ABORTED_COMMAND && !t1.aborted));
	CU_ASSERT_EQUAL(g_events[VD_SCSI_DEV_EVENT_LUN_REMOVED], 1);
	CU_ASSERT_EQUAL(g_event_lun, 0);
	CU_ASSERT(vd_bdev_get_by_name("ut0") == NULL);	/* descriptor closed, bdev gone */
	g_ub = NULL;
	CU_ASSERT(vd_scsi_dev_remove_lun(g_dev, 0, NULL, NULL) == -ENOENT);
}

static void
test_remove_lun(void)
{
	struct vd_scsi_task t1;
	struct iovec iov1 = { g_buf, UT_BS };
	uint32_t done = 0, removed = 0;

	ut_read_task(&t1, &iov1, 0, 5, &done);
	vd_scsi_dev_submit(g_dev, &t1);
	CU_ASSERT(vd_scsi_dev_get_lun_bdev(g_dev, 0) == &g_ub->bdev);
	CU_ASSERT(vd_bdev_is_claimed(&g_ub->bdev));
	CU_ASSERT(vd_scsi_dev_remove_lun(g_dev, 0, ut_done_cb, &removed) == 0);
	CU_ASSERT(vd_scsi_dev_remove_lun(g_dev, 0, ut_done_cb, &removed) == -EBUSY);
	CU_ASSERT(vd_scsi_dev_remove_lun(g_dev, 9, ut_done_cb, &removed) == -ENOENT);
	ut_poll_all();
	CU_ASSERT_EQUAL(removed, 0);
	ut_drive();
	CU_ASSERT_EQUAL(done, 1);
	ut_check_good(&t1);
	CU_ASSERT_EQUAL(removed, 1);
	CU_ASSERT(!vd_bdev_is_claimed(&g_ub->bdev));
	CU_ASSERT_EQUAL(g_events[VD_SCSI_DEV_EVENT_LUN_REMOVED], 0);
	/* The id can be used again. */
	CU_ASSERT(vd_scsi_dev_add_lun(g_dev, 0, "ut0", "scsi:ut/0") == 0);
}

static void
test_claim_conflict(void)
{
	struct vd_scsi_dev *dev2;

	CU_ASSERT_FATAL(vd_scsi_dev_create(&(struct vd_scsi_dev_opts){ .name = "d2" }, &dev2) == 0);
	CU_ASSERT(vd_scsi_dev_add_lun(dev2, 0, "ut0", "scsi:d2/0") == -EPERM);
	CU_ASSERT(vd_scsi_dev_add_lun(dev2, 0, NULL, "x") == -EINVAL);
	CU_ASSERT_STRING_EQUAL(vd_scsi_dev_get_name(dev2), "d2");
	vd_scsi_dev_destroy(dev2, NULL, NULL);
	ut_drive();
	CU_ASSERT(vd_scsi_dev_create(&(struct vd_scsi_dev_opts){ .name = NULL }, &dev2) ==
		  -EINVAL);
}

static void
test_resize(void)
{
	uint8_t tur[6] = { SCSI_TEST_UNIT_READY };
	uint8_t rc16[16] = { SCSI_SERVICE_ACTION_IN_16, SCSI_SAI_READ_CAPACITY_16 };
	struct vd_scsi_lun *lun = scsi_dev_find_lun(g_dev, 0);

	g_ub->bdev.blockcnt = UT_BLOCKS / 2;
	scsi_lun_bdev_event(VD_BDEV_EVENT_RESIZE, &g_ub->bdev, lun);
	CU_ASSERT_EQUAL(g_events[VD_SCSI_DEV_EVENT_LUN_RESIZED], 1);
	ut_run(tur, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_UNIT_ATTENTION, 0x2a, 0x09);
	scsi_put_be32(&rc16[10], 32);
	ut_run(rc16, 16, VD_SCSI_DIR_FROM_DEV, 32);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(scsi_be64(g_buf), UT_BLOCKS / 2 - 1);
	g_ub->bdev.blockcnt = UT_BLOCKS;
}

/* Destroying with I/O in flight waits for it; the device is freed after the last one. */
static void
test_destroy_with_io(void)
{
	struct vd_scsi_task t1;
	struct iovec iov1 = { g_buf, UT_BS };
	uint32_t done = 0, destroyed = 0;

	ut_read_task(&t1, &iov1, 0, 5, &done);
	vd_scsi_dev_submit(g_dev, &t1);
	vd_scsi_dev_destroy(g_dev, ut_done_cb, &destroyed);
	ut_poll_all();
	CU_ASSERT_EQUAL(destroyed, 0);
	ut_drive();
	CU_ASSERT_EQUAL(done, 1);
	CU_ASSERT_EQUAL(destroyed, 1);
	g_dev = NULL;
}

/* Completion callback resubmitting from inside the library's poller works. */
static uint32_t g_resubmits;

static void
resubmit_cpl(struct vd_scsi_task *task, void *arg)
{
	if (++g_resubmits < 3) {
		vd_scsi_dev_submit(g_dev, task);
	}
}

static void
test_resubmit_from_callback(void)
{
	uint8_t tur[6] = { SCSI_TEST_UNIT_READY };

	ut_task_prep(&g_task, tur, 6, VD_SCSI_DIR_NONE, NULL, 0);
	g_task.cpl_fn = resubmit_cpl;
	g_resubmits = 0;
	vd_scsi_dev_submit(g_dev, &g_task);
	CU_ASSERT_EQUAL(g_resubmits, 0);
	ut_drive();
	CU_ASSERT_EQUAL(g_resubmits, 3);
	ut_check_good(&g_task);
}

static CU_pSuite
add_tests(void)
{
	CU_pSuite s = CU_add_suite_with_setup_and_teardown("scsi_dev", NULL, NULL, ut_setup,
							   ut_teardown);

	if (s == NULL) {
		return NULL;
	}
	CU_ADD_TEST(s, test_abort_task);
	CU_ADD_TEST(s, test_tmf_bad);
	CU_ADD_TEST(s, test_lun_reset);
	CU_ADD_TEST(s, test_target_reset);
	CU_ADD_TEST(s, test_abort_bounce_waiter);
	CU_ADD_TEST(s, test_hot_remove);
	CU_ADD_TEST(s, test_remove_lun);
	CU_ADD_TEST(s, test_claim_conflict);
	CU_ADD_TEST(s, test_resize);
	CU_ADD_TEST(s, test_destroy_with_io);
	CU_ADD_TEST(s, test_resubmit_from_callback);
	return s;
}

int
main(void)
{
	return ut_run_suite(add_tests);
}
