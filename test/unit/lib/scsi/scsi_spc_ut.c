/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/* Primary commands and dispatch: INQUIRY/VPD, REPORT LUNS, REQUEST SENSE, MODE SENSE/SELECT,
 * common CDB checks, missing LUNs, and the exact sense data of each error. */

#include "scsi_ut_common.h"

static void
test_inquiry_standard(void)
{
	uint8_t cdb[6] = { SCSI_INQUIRY, 0, 0, 0, 255, 0 };

	memset(g_buf, 0xee, sizeof(g_buf));
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 96);
	CU_ASSERT_EQUAL(g_task.residual, 255 - 96);
	CU_ASSERT_EQUAL(g_buf[0], 0x00);
	CU_ASSERT_EQUAL(g_buf[2], 0x06);
	CU_ASSERT_EQUAL(g_buf[3] & 0x0f, 0x02);
	CU_ASSERT_EQUAL(g_buf[4], 91);
	CU_ASSERT(memcmp(&g_buf[8], "VHOSTD  ", 8) == 0);
	CU_ASSERT(memcmp(&g_buf[16], "UT disk         ", 16) == 0);
	CU_ASSERT(memcmp(&g_buf[32], "0001", 4) == 0);
	CU_ASSERT_EQUAL(g_buf[96], 0xee);	/* nothing past the response */
}

static void
test_inquiry_alloc_len(void)
{
	uint8_t cdb[6] = { SCSI_INQUIRY, 0, 0, 0, 5, 0 };

	memset(g_buf, 0xee, sizeof(g_buf));
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 5);
	CU_ASSERT_EQUAL(g_buf[4], 91);		/* additional length not truncated */
	CU_ASSERT_EQUAL(g_buf[5], 0xee);

	/* Allocation length 0: GOOD, no data. */
	cdb[4] = 0;
	memset(g_buf, 0xee, sizeof(g_buf));
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 0);
	CU_ASSERT_EQUAL(g_task.residual, 255);
	CU_ASSERT_EQUAL(g_buf[0], 0xee);

	/* Buffer shorter than the allocation length: truncated to the buffer. */
	cdb[3] = 0x01;			/* allocation length 256 + 0 */
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 10);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 10);
	CU_ASSERT_EQUAL(g_task.residual, 0);
}

static void
test_inquiry_bad_fields(void)
{
	uint8_t cdb[6] = { SCSI_INQUIRY, 0x02, 0, 0, 255, 0 };

	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);	/* CMDDT */
	ut_check_field(&g_task, true, 1, 1);
	CU_ASSERT_EQUAL(g_task.data_len, 0);

	cdb[1] = 0x00;
	cdb[2] = 0x80;					/* page code without EVPD */
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_field(&g_task, true, 2, 7);

	cdb[1] = 0x01;
	cdb[2] = 0x89;					/* unsupported VPD page */
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_field(&g_task, true, 2, 7);

	cdb[1] = 0x20;					/* reserved bit */
	cdb[2] = 0;
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_field(&g_task, true, 1, 5);

	cdb[1] = 0;
	cdb[5] = 0x04;					/* NACA */
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_field(&g_task, true, 5, 2);
}

static void
ut_vpd(uint8_t page)
{
	uint8_t cdb[6] = { SCSI_INQUIRY, 0x01, page, 0x01, 0x00, 0 };

	memset(g_buf, 0, sizeof(g_buf));
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 256);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_buf[1], page);
	CU_ASSERT_EQUAL(g_task.data_len, 4u + scsi_be16(&g_buf[2]));
}

static void
test_inquiry_vpd(void)
{
	char uuid[37];
	uint8_t expect[] = { 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };

	ut_vpd(0x00);
	CU_ASSERT_EQUAL(scsi_be16(&g_buf[2]), sizeof(expect));
	CU_ASSERT(memcmp(&g_buf[4], expect, sizeof(expect)) == 0);

	ut_vpd(0x80);
	vd_bdev_get_uuid_str(&g_ub->bdev, uuid);
	CU_ASSERT_EQUAL(scsi_be16(&g_buf[2]), 36);
	CU_ASSERT(memcmp(&g_buf[4], uuid, 36) == 0);

	ut_vpd(0x83);
	/* NAA designator: binary, LUN association, type 3, 8 bytes, NAA 3h. */
	CU_ASSERT_EQUAL(g_buf[4], 0x01);
	CU_ASSERT_EQUAL(g_buf[5], 0x03);
	CU_ASSERT_EQUAL(g_buf[7], 8);
	CU_ASSERT_EQUAL(g_buf[8] >> 4, 0x3);
	/* T10 vendor ID: ASCII, type 1. */
	CU_ASSERT_EQUAL(g_buf[16], 0x02);
	CU_ASSERT_EQUAL(g_buf[17], 0x01);
	CU_ASSERT_EQUAL(g_buf[19], 44);
	CU_ASSERT(memcmp(&g_buf[20], "VHOSTD  ", 8) == 0);
	CU_ASSERT(memcmp(&g_buf[28], uuid, 36) == 0);

	ut_vpd(0xb0);
	CU_ASSERT_EQUAL(scsi_be16(&g_buf[2]), 0x3c);
	CU_ASSERT_EQUAL(g_buf[4] & 0x01, 1);				/* WSNZ */
	CU_ASSERT_EQUAL(scsi_be32(&g_buf[8]), SCSI_MAX_XFER_BYTES / UT_BS);
	CU_ASSERT_EQUAL(scsi_be32(&g_buf[20]), SCSI_MAX_UNMAP_BLOCKS);
	CU_ASSERT_EQUAL(scsi_be32(&g_buf[24]), SCSI_MAX_UNMAP_DESCS);
	CU_ASSERT_EQUAL(scsi_be64(&g_buf[36]), SCSI_MAX_WRITE_SAME_BLOCKS);

	ut_vpd(0xb1);
	CU_ASSERT_EQUAL(scsi_be16(&g_buf[4]), 1);

	ut_vpd(0xb2);
	CU_ASSERT_EQUAL(scsi_be16(&g_buf[2]), 4);
	CU_ASSERT_EQUAL(g_buf[5] & 0xe0, 0xe0);
}

static void
test_vpd_no_unmap(void)
{
	ut_setup_no_unmap();

	ut_vpd(0xb2);
	CU_ASSERT_EQUAL(g_buf[5], 0);
	ut_vpd(0xb0);
	CU_ASSERT_EQUAL(scsi_be32(&g_buf[20]), 0);
}

static void
test_missing_lun(void)
{
	uint8_t inq[6] = { SCSI_INQUIRY, 0, 0, 0, 96, 0 };
	uint8_t tur[6] = { SCSI_TEST_UNIT_READY };
	uint8_t rs[6] = { SCSI_REQUEST_SENSE, 0, 0, 0, 18, 0 };
	uint8_t bad[6] = { 0xc5 };

	ut_task_prep(&g_task, inq, 6, VD_SCSI_DIR_FROM_DEV, &g_iov, 1);
	g_iov.iov_base = g_buf;
	g_iov.iov_len = 96;
	g_task.lun = 3;
	ut_submit(&g_task);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_buf[0], 0x7f);

	g_task.cdb[0] = SCSI_TEST_UNIT_READY;
	memcpy(g_task.cdb, tur, 6);
	ut_submit(&g_task);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x25, 0);

	memcpy(g_task.cdb, bad, 6);
	ut_submit(&g_task);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x25, 0);

	memcpy(g_task.cdb, rs, 6);
	ut_submit(&g_task);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_buf[2], VD_SCSI_SENSE_ILLEGAL_REQUEST);
	CU_ASSERT_EQUAL(g_buf[12], 0x25);

	g_task.lun = 1000;	/* out of range entirely */
	memcpy(g_task.cdb, tur, 6);
	ut_submit(&g_task);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x25, 0);
}

static void
test_invalid_opcode(void)
{
	uint8_t cdb[16] = { 0xc5 };

	ut_run(cdb, 16, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x20, 0);
	CU_ASSERT_EQUAL(g_task.sense[15], 0);	/* no field pointer */

	cdb[0] = SCSI_SERVICE_ACTION_IN_16;
	cdb[1] = 0x12;				/* GET LBA STATUS: not supported */
	ut_run(cdb, 16, VD_SCSI_DIR_FROM_DEV, 32);
	ut_check_field(&g_task, true, 1, 4);
}

static void
test_report_luns(void)
{
	uint8_t cdb[12] = { SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };

	CU_ASSERT(ut_bdev_create("ut1", 16, 512, &(struct ut_bdev *){ NULL }) == 0);
	CU_ASSERT(vd_scsi_dev_add_lun(g_dev, 5, "ut1", "scsi:ut/5") == 0);
	CU_ASSERT(vd_scsi_dev_add_lun(g_dev, 5, "ut1", "scsi:ut/5") == -EEXIST);
	CU_ASSERT(vd_scsi_dev_add_lun(g_dev, 8, "ut1", "x") == -EINVAL);
	CU_ASSERT(vd_scsi_dev_add_lun(g_dev, 6, "nope", "x") == -ENODEV);
	CU_ASSERT(vd_scsi_dev_get_lun_count(g_dev) == 2);

	ut_run(cdb, 12, VD_SCSI_DIR_FROM_DEV, 256);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 24);
	CU_ASSERT_EQUAL(scsi_be32(g_buf), 16);
	CU_ASSERT_EQUAL(scsi_be64(&g_buf[8]), 0);
	CU_ASSERT_EQUAL(scsi_be64(&g_buf[16]), 0x0005000000000000ULL);
	CU_ASSERT_EQUAL(vd_scsi_lun_decode(&g_buf[16], 8), 5);

	/* Well-known LUNs only: empty list. */
	cdb[2] = 0x01;
	ut_run(cdb, 12, VD_SCSI_DIR_FROM_DEV, 256);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 8);
	CU_ASSERT_EQUAL(scsi_be32(g_buf), 0);

	cdb[2] = 0x03;
	ut_run(cdb, 12, VD_SCSI_DIR_FROM_DEV, 256);
	ut_check_field(&g_task, true, 2, 7);

	cdb[2] = 0;
	cdb[8] = 0;
	cdb[9] = 15;				/* allocation length < 16 */
	ut_run(cdb, 12, VD_SCSI_DIR_FROM_DEV, 256);
	ut_check_field(&g_task, true, 6, 7);

	/* Truncated to the allocation length (16): list length still says 16. */
	cdb[9] = 16;
	ut_run(cdb, 12, VD_SCSI_DIR_FROM_DEV, 256);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 16);
	CU_ASSERT_EQUAL(scsi_be32(g_buf), 16);

	/* Works on a LUN that does not exist. */
	g_task.lun = 7;
	ut_submit(&g_task);
	ut_check_good(&g_task);
}

static void
test_lun_decode(void)
{
	uint8_t periph[8] = { 0x00, 0x07 }, flat[8] = { 0x41, 0x02 }, bad[8] = { 0x80, 1 };
	uint8_t level2[8] = { 0x00, 0x01, 0x00, 0x01 };

	CU_ASSERT_EQUAL(vd_scsi_lun_decode(periph, 8), 7);
	CU_ASSERT_EQUAL(vd_scsi_lun_decode(flat, 2), 0x102);
	CU_ASSERT_EQUAL(vd_scsi_lun_decode(bad, 8), -EINVAL);
	CU_ASSERT_EQUAL(vd_scsi_lun_decode(level2, 8), -EINVAL);
	CU_ASSERT_EQUAL(vd_scsi_lun_decode(periph, 1), -EINVAL);
	periph[0] = 0x01;	/* bus identifier */
	CU_ASSERT_EQUAL(vd_scsi_lun_decode(periph, 2), -EINVAL);
}

static void
test_request_sense(void)
{
	uint8_t cdb[6] = { SCSI_REQUEST_SENSE, 0, 0, 0, 252, 0 };

	memset(g_buf, 0xee, sizeof(g_buf));
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 252);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 18);
	CU_ASSERT_EQUAL(g_buf[0], 0x70);
	CU_ASSERT_EQUAL(g_buf[2], VD_SCSI_SENSE_NO_SENSE);
	CU_ASSERT_EQUAL(g_buf[7], 10);
	CU_ASSERT_EQUAL(g_buf[12], 0);

	cdb[1] = 0x01;				/* DESC: descriptor format not supported */
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 252);
	ut_check_field(&g_task, true, 1, 0);

	/* A pending unit attention is returned once, then cleared. */
	cdb[1] = 0;
	scsi_dev_find_lun(g_dev, 0)->ua |= SCSI_UA_CAPACITY;
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 252);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_buf[2], VD_SCSI_SENSE_UNIT_ATTENTION);
	CU_ASSERT_EQUAL(g_buf[12], 0x2a);
	CU_ASSERT_EQUAL(g_buf[13], 0x09);
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 252);
	CU_ASSERT_EQUAL(g_buf[2], VD_SCSI_SENSE_NO_SENSE);
}

static void
test_unit_attention_order(void)
{
	uint8_t tur[6] = { SCSI_TEST_UNIT_READY };
	uint8_t inq[6] = { SCSI_INQUIRY, 0, 0, 0, 36, 0 };
	struct vd_scsi_lun *lun = scsi_dev_find_lun(g_dev, 0);

	lun->ua = SCSI_UA_RESET | SCSI_UA_CAPACITY;
	ut_run(inq, 6, VD_SCSI_DIR_FROM_DEV, 36);	/* INQUIRY does not report it */
	ut_check_good(&g_task);
	ut_run(tur, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_UNIT_ATTENTION, 0x29, 0x03);
	ut_run(tur, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_UNIT_ATTENTION, 0x2a, 0x09);
	ut_run(tur, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_good(&g_task);
}

static void
test_mode_sense_6(void)
{
	uint8_t cdb[6] = { SCSI_MODE_SENSE_6, 0, 0x3f, 0, 255, 0 };

	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_good(&g_task);
	/* header 4 + block descriptor 8 + caching 20 + control 12 */
	CU_ASSERT_EQUAL(g_task.data_len, 44);
	CU_ASSERT_EQUAL(g_buf[0], 43);
	CU_ASSERT_EQUAL(g_buf[3], 8);
	CU_ASSERT_EQUAL(scsi_be32(&g_buf[4]), UT_BLOCKS);
	CU_ASSERT_EQUAL(scsi_be32(&g_buf[8]) & 0xffffff, UT_BS);
	CU_ASSERT_EQUAL(g_buf[12], 0x08);
	CU_ASSERT_EQUAL(g_buf[13], 0x12);
	CU_ASSERT_EQUAL(g_buf[14] & 0x04, 0);	/* fake bdev: no write cache */
	CU_ASSERT_EQUAL(g_buf[32], 0x0a);
	CU_ASSERT_EQUAL(g_buf[33], 0x0a);

	cdb[1] = 0x08;				/* DBD */
	cdb[2] = 0x08;
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 24);
	CU_ASSERT_EQUAL(g_buf[3], 0);
	CU_ASSERT_EQUAL(g_buf[4], 0x08);

	cdb[2] = 0xc8;				/* saved values */
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x39, 0);

	cdb[2] = 0x1c;				/* unsupported page */
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_field(&g_task, true, 2, 5);

	cdb[2] = 0x08;
	cdb[3] = 0x01;				/* subpage */
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_field(&g_task, true, 3, 7);

	cdb[2] = 0x3f;
	cdb[3] = 0xff;				/* all pages and subpages */
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_good(&g_task);
}

static void
test_mode_sense_10(void)
{
	uint8_t cdb[10] = { SCSI_MODE_SENSE_10, 0x10, 0x48, 0, 0, 0, 0, 0, 255, 0 };

	/* LLBAA, changeable values of the caching page */
	ut_run(cdb, 10, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 8 + 16 + 20);
	CU_ASSERT_EQUAL(scsi_be16(g_buf), 8 + 16 + 20 - 2);
	CU_ASSERT_EQUAL(g_buf[4] & 0x01, 1);	/* LONGLBA */
	CU_ASSERT_EQUAL(scsi_be16(&g_buf[6]), 16);
	CU_ASSERT_EQUAL(scsi_be64(&g_buf[8]), UT_BLOCKS);
	CU_ASSERT_EQUAL(scsi_be32(&g_buf[20]), UT_BS);
	CU_ASSERT_EQUAL(g_buf[24], 0x08);
	CU_ASSERT_EQUAL(g_buf[26], 0);		/* nothing changeable */

	cdb[8] = 2;				/* allocation length truncates */
	ut_run(cdb, 10, VD_SCSI_DIR_FROM_DEV, 255);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 2);
}

static void
test_mode_select(void)
{
	uint8_t cdb[6] = { SCSI_MODE_SELECT_6, 0x10, 0, 0, 0, 0 };
	uint8_t sense_cdb[6] = { SCSI_MODE_SENSE_6, 0x08, 0x08, 0, 255, 0 };
	uint8_t page[64];

	ut_run(cdb, 6, VD_SCSI_DIR_NONE, 0);	/* no parameter list */
	ut_check_good(&g_task);

	cdb[1] = 0x11;				/* SP */
	ut_run(cdb, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_field(&g_task, true, 1, 0);

	/* Sending back the current caching page is accepted. */
	ut_run(sense_cdb, 6, VD_SCSI_DIR_FROM_DEV, 255);
	memcpy(page, g_buf, 24);
	page[0] = 0;
	memcpy(g_buf, page, 24);
	cdb[1] = 0x10;
	cdb[4] = 24;
	ut_run(cdb, 6, VD_SCSI_DIR_TO_DEV, 24);
	ut_check_good(&g_task);

	/* Changing WCE is not. */
	page[6] |= 0x04;
	memcpy(g_buf, page, 24);
	ut_run(cdb, 6, VD_SCSI_DIR_TO_DEV, 24);
	ut_check_field(&g_task, false, 6, 7);

	/* Page length running past the list. */
	page[6] &= ~0x04;
	page[5] = 0x30;
	memcpy(g_buf, page, 24);
	ut_run(cdb, 6, VD_SCSI_DIR_TO_DEV, 24);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x1a, 0);

	/* Parameter list longer than the data-out buffer. */
	ut_run(cdb, 6, VD_SCSI_DIR_TO_DEV, 10);
	ut_check_field(&g_task, true, 4, 7);

	/* Header only, shorter than a header. */
	cdb[4] = 3;
	ut_run(cdb, 6, VD_SCSI_DIR_TO_DEV, 3);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x1a, 0);
}

static void
test_no_data_commands(void)
{
	uint8_t ssu[6] = { SCSI_START_STOP_UNIT, 0, 0, 0, 0x01, 0 };
	uint8_t pa[6] = { SCSI_PREVENT_ALLOW, 0, 0, 0, 0x01, 0 };
	uint8_t tur[6] = { SCSI_TEST_UNIT_READY };

	ut_run(ssu, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_good(&g_task);
	ut_run(pa, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_good(&g_task);
	ut_run(tur, 6, VD_SCSI_DIR_NONE, 0);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 0);
	CU_ASSERT_EQUAL(g_task.residual, 0);
}

static void
test_data_in_wrong_direction(void)
{
	uint8_t cdb[6] = { SCSI_INQUIRY, 0, 0, 0, 96, 0 };

	/* A data-out buffer is never written by a data-in command. */
	memset(g_buf, 0xee, 96);
	ut_run(cdb, 6, VD_SCSI_DIR_TO_DEV, 96);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 0);
	CU_ASSERT_EQUAL(g_buf[0], 0xee);
}

static void
test_multi_iov_data_in(void)
{
	uint8_t cdb[6] = { SCSI_INQUIRY, 0, 0, 0, 96, 0 };
	uint8_t a[3], b[50], c[100];
	struct iovec iov[3] = { { a, 3 }, { b, 50 }, { c, 100 } };

	ut_task_prep(&g_task, cdb, 6, VD_SCSI_DIR_FROM_DEV, iov, 3);
	ut_submit(&g_task);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 96);
	CU_ASSERT_EQUAL(g_task.residual, 153 - 96);
	CU_ASSERT(memcmp(&b[5], "VHOSTD  ", 8) == 0);
	CU_ASSERT(memcmp(&b[29], "0001", 4) == 0);	/* byte 32 = 3 + 29 */
	CU_ASSERT_EQUAL(scsi_be16(&c[5]), 0x00a0);	/* byte 58 = 53 + 5: SAM-5 */
}

static CU_pSuite
add_tests(void)
{
	CU_pSuite s = CU_add_suite_with_setup_and_teardown("scsi_spc", NULL, NULL, ut_setup,
							   ut_teardown);

	if (s == NULL) {
		return NULL;
	}
	CU_ADD_TEST(s, test_inquiry_standard);
	CU_ADD_TEST(s, test_inquiry_alloc_len);
	CU_ADD_TEST(s, test_inquiry_bad_fields);
	CU_ADD_TEST(s, test_inquiry_vpd);
	CU_ADD_TEST(s, test_vpd_no_unmap);
	CU_ADD_TEST(s, test_missing_lun);
	CU_ADD_TEST(s, test_invalid_opcode);
	CU_ADD_TEST(s, test_report_luns);
	CU_ADD_TEST(s, test_lun_decode);
	CU_ADD_TEST(s, test_request_sense);
	CU_ADD_TEST(s, test_unit_attention_order);
	CU_ADD_TEST(s, test_mode_sense_6);
	CU_ADD_TEST(s, test_mode_sense_10);
	CU_ADD_TEST(s, test_mode_select);
	CU_ADD_TEST(s, test_no_data_commands);
	CU_ADD_TEST(s, test_data_in_wrong_direction);
	CU_ADD_TEST(s, test_multi_iov_data_in);
	return s;
}

int
main(void)
{
	return ut_run_suite(add_tests);
}
