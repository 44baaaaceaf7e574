/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/* Block commands through the fake bdev: data moved and verified, every range and length check
 * with its exact sense, UNMAP parameter parsing, WRITE SAME, VERIFY, bdev errors, retries. */

#include "scsi_ut_common.h"

static uint8_t *
disk(uint64_t lba)
{
	return g_ub->data + lba * UT_BS;
}

static void
fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		p[i] = (uint8_t)(seed + i * 7);
	}
}

static bool
all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != v) {
			return false;
		}
	}
	return true;
}

static void
cdb_rw16(uint8_t *cdb, uint8_t op, uint64_t lba, uint32_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	scsi_put_be64(&cdb[2], lba);
	scsi_put_be32(&cdb[10], n);
}

static void
cdb_rw10(uint8_t *cdb, uint8_t op, uint32_t lba, uint16_t n)
{
	memset(cdb, 0, 10);
	cdb[0] = op;
	scsi_put_be32(&cdb[2], lba);
	scsi_put_be16(&cdb[7], n);
}

static void
test_read_capacity(void)
{
	uint8_t c10[10] = { SCSI_READ_CAPACITY_10 };
	uint8_t c16[16] = { SCSI_SERVICE_ACTION_IN_16, SCSI_SAI_READ_CAPACITY_16 };

	ut_run(c10, 10, VD_SCSI_DIR_FROM_DEV, 8);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(scsi_be32(g_buf), UT_BLOCKS - 1);
	CU_ASSERT_EQUAL(scsi_be32(&g_buf[4]), UT_BS);

	c10[5] = 1;			/* LBA without PMI */
	ut_run(c10, 10, VD_SCSI_DIR_FROM_DEV, 8);
	ut_check_field(&g_task, true, 2, 7);

	scsi_put_be32(&c16[10], 32);
	ut_run(c16, 16, VD_SCSI_DIR_FROM_DEV, 32);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 32);
	CU_ASSERT_EQUAL(scsi_be64(g_buf), UT_BLOCKS - 1);
	CU_ASSERT_EQUAL(scsi_be32(&g_buf[8]), UT_BS);
	CU_ASSERT_EQUAL(g_buf[14] & 0x80, 0x80);	/* LBPME */

	scsi_put_be32(&c16[10], 12);
	ut_run(c16, 16, VD_SCSI_DIR_FROM_DEV, 32);
	CU_ASSERT_EQUAL(g_task.data_len, 12);

	/* More than 2^32 blocks: READ CAPACITY(10) says 0xFFFFFFFF. */
	g_ub->bdev.blockcnt = 0x100000005ULL;
	c10[5] = 0;
	ut_run(c10, 10, VD_SCSI_DIR_FROM_DEV, 8);
	CU_ASSERT_EQUAL(scsi_be32(g_buf), 0xffffffff);
	ut_run(c16, 16, VD_SCSI_DIR_FROM_DEV, 32);
	CU_ASSERT_EQUAL(scsi_be64(g_buf), 0x100000004ULL);
	g_ub->bdev.blockcnt = UT_BLOCKS;
}

static void
test_write_read_data(void)
{
	uint8_t cdb[16];
	uint8_t pattern[8 * UT_BS];

	fill(pattern, sizeof(pattern), 3);
	memcpy(g_buf, pattern, sizeof(pattern));
	cdb_rw16(cdb, SCSI_WRITE_16, 100, 8);
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, 8 * UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 8 * UT_BS);
	CU_ASSERT_EQUAL(g_task.residual, 0);
	CU_ASSERT(memcmp(disk(100), pattern, sizeof(pattern)) == 0);
	CU_ASSERT(all_bytes(disk(99), UT_BS, 0) && all_bytes(disk(108), UT_BS, 0));

	memset(g_buf, 0, sizeof(g_buf));
	cdb_rw10(cdb, SCSI_READ_10, 100, 8);
	ut_run(cdb, 10, VD_SCSI_DIR_FROM_DEV, 8 * UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT(memcmp(g_buf, pattern, sizeof(pattern)) == 0);

	/* READ(12) of 2 blocks from 104. */
	memset(cdb, 0, 12);
	cdb[0] = SCSI_READ_12;
	scsi_put_be32(&cdb[2], 104);
	scsi_put_be32(&cdb[6], 2);
	memset(g_buf, 0, sizeof(g_buf));
	ut_run(cdb, 12, VD_SCSI_DIR_FROM_DEV, 2 * UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT(memcmp(g_buf, pattern + 4 * UT_BS, 2 * UT_BS) == 0);

	/* WRITE(10)/WRITE(12) */
	fill(g_buf, UT_BS, 9);
	cdb_rw10(cdb, SCSI_WRITE_10, 5, 1);
	ut_run(cdb, 10, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT(memcmp(disk(5), g_buf, UT_BS) == 0);
	memset(cdb, 0, 12);
	cdb[0] = SCSI_WRITE_12;
	scsi_put_be32(&cdb[2], 6);
	scsi_put_be32(&cdb[6], 1);
	ut_run(cdb, 12, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT(memcmp(disk(6), g_buf, UT_BS) == 0);
}

static void
test_rw6(void)
{
	uint8_t cdb[6] = { SCSI_WRITE_6, 0x00, 0x00, 0x10, 0x00, 0x00 };

	/* Transfer length 0 means 256 blocks. */
	fill(g_buf, 256 * UT_BS % UT_BUF_LEN, 1);
	memset(g_buf + UT_BUF_LEN / 2, 0, 0);
	g_iov.iov_base = malloc(256 * UT_BS);
	CU_ASSERT_FATAL(g_iov.iov_base != NULL);
	fill(g_iov.iov_base, 256 * UT_BS, 11);
	g_iov.iov_len = 256 * UT_BS;
	ut_task_prep(&g_task, cdb, 6, VD_SCSI_DIR_TO_DEV, &g_iov, 1);
	ut_submit(&g_task);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 256 * UT_BS);
	CU_ASSERT(memcmp(disk(16), g_iov.iov_base, 256 * UT_BS) == 0);
	free(g_iov.iov_base);

	/* READ(6): 21-bit LBA. */
	cdb[0] = SCSI_READ_6;
	cdb[3] = 0x11;
	cdb[4] = 1;
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT(memcmp(g_buf, disk(17), UT_BS) == 0);

	cdb[1] = 0x20;			/* reserved (old LUN field) */
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, UT_BS);
	ut_check_field(&g_task, true, 1, 5);

	cdb[1] = 0x1f;			/* LBA 0x1f0011: out of range */
	ut_run(cdb, 6, VD_SCSI_DIR_FROM_DEV, UT_BS);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x21, 0);
	CU_ASSERT_EQUAL(g_task.sense[15], 0);
}

static void
test_rw_range(void)
{
	uint8_t cdb[16];

	cdb_rw16(cdb, SCSI_READ_16, UT_BLOCKS - 1, 2);		/* runs past the end */
	ut_run(cdb, 16, VD_SCSI_DIR_FROM_DEV, 2 * UT_BS);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x21, 0);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_READ], 0);

	cdb_rw16(cdb, SCSI_READ_16, UINT64_MAX, 2);		/* LBA + length overflows */
	ut_run(cdb, 16, VD_SCSI_DIR_FROM_DEV, 2 * UT_BS);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x21, 0);

	cdb_rw16(cdb, SCSI_WRITE_16, UT_BLOCKS, 0);		/* length 0, LBA past the end */
	ut_run(cdb, 16, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x21, 0);

	cdb_rw16(cdb, SCSI_WRITE_16, UT_BLOCKS - 1, 0);		/* length 0: nothing, GOOD */
	ut_run(cdb, 16, VD_SCSI_DIR_NONE, 0);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_WRITE], 0);

	cdb_rw16(cdb, SCSI_READ_16, UT_BLOCKS - 1, 1);		/* last block is fine */
	ut_run(cdb, 16, VD_SCSI_DIR_FROM_DEV, UT_BS);
	ut_check_good(&g_task);

	/* Longer than the maximum transfer length. */
	cdb_rw16(cdb, SCSI_READ_16, 0, SCSI_MAX_XFER_BYTES / UT_BS + 1);
	ut_run(cdb, 16, VD_SCSI_DIR_FROM_DEV, UT_BS);
	ut_check_field(&g_task, true, 10, 7);

	cdb_rw10(cdb, SCSI_WRITE_10, 0, 1);
	cdb[1] = 0x20;						/* WRPROTECT */
	ut_run(cdb, 10, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_field(&g_task, true, 1, 5);
}

static void
test_rw_buffer_length(void)
{
	uint8_t cdb[16];
	uint8_t a[100], b[UT_BS];
	struct iovec iov[3];

	/* Data-out buffer shorter than the CDB asks for: rejected, nothing written. */
	cdb_rw16(cdb, SCSI_WRITE_16, 0, 2);
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_field(&g_task, true, 10, 7);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_WRITE], 0);

	/* Wrong direction. */
	ut_run(cdb, 16, VD_SCSI_DIR_FROM_DEV, 2 * UT_BS);
	ut_check_field(&g_task, true, 10, 7);

	/* Longer buffer: the bdev sees exactly 1 block, the iovec is restored, residual set. */
	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 2);
	iov[0] = (struct iovec){ a, sizeof(a) };
	iov[1] = (struct iovec){ b, sizeof(b) };
	iov[2] = (struct iovec){ g_buf, 1000 };
	cdb_rw16(cdb, SCSI_WRITE_16, 7, 1);
	ut_task_prep(&g_task, cdb, 16, VD_SCSI_DIR_TO_DEV, iov, 3);
	ut_submit(&g_task);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, UT_BS);
	CU_ASSERT_EQUAL(g_task.residual, 100 + UT_BS + 1000 - UT_BS);
	CU_ASSERT_EQUAL(iov[1].iov_len, UT_BS);
	CU_ASSERT(memcmp(disk(7), a, 100) == 0);
	CU_ASSERT(memcmp(disk(7) + 100, b, UT_BS - 100) == 0);
	CU_ASSERT(g_task.priv.trim_iov == NULL);
}

static void
test_rw_bdev_errors(void)
{
	uint8_t cdb[16];

	cdb_rw16(cdb, SCSI_READ_16, 0, 1);
	g_ut_bdev_ctl.fail_next = 1;
	ut_run(cdb, 16, VD_SCSI_DIR_FROM_DEV, UT_BS);
	ut_check_sense(&g_task, VD_SCSI_SENSE_MEDIUM_ERROR, 0x11, 0);
	CU_ASSERT_EQUAL(g_task.data_len, 0);
	CU_ASSERT_EQUAL(g_task.residual, UT_BS);

	cdb_rw16(cdb, SCSI_WRITE_16, 0, 1);
	g_ut_bdev_ctl.fail_next = 1;
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_sense(&g_task, VD_SCSI_SENSE_MEDIUM_ERROR, 0x0c, 0);

	/* NOMEM from the module: the bdev layer retries; the command still succeeds. */
	fill(g_buf, UT_BS, 5);
	g_ut_bdev_ctl.nomem_next = 2;
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT(memcmp(disk(0), g_buf, UT_BS) == 0);
}

/* Exhaust the bdev_io pool: -ENOMEM at submit parks the task on io_wait until one frees. */
#define UT_NTASKS 1100u
static void
test_rw_io_wait(void)
{
	static struct vd_scsi_task tasks[UT_NTASKS];
	static struct iovec iovs[UT_NTASKS];
	static uint8_t bufs[UT_NTASKS][UT_BS];
	uint8_t cdb[16];
	uint32_t done = 0, i;

	cdb_rw16(cdb, SCSI_WRITE_16, 0, 1);
	for (i = 0; i < UT_NTASKS; i++) {
		fill(bufs[i], UT_BS, (uint8_t)(i * 3 + i / 256));
		iovs[i] = (struct iovec){ bufs[i], UT_BS };
		scsi_put_be64(&cdb[2], i % UT_BLOCKS);
		ut_task_prep(&tasks[i], cdb, 16, VD_SCSI_DIR_TO_DEV, &iovs[i], 1);
		tasks[i].cpl_arg = &done;
		tasks[i].tag = i;
		vd_scsi_dev_submit(g_dev, &tasks[i]);
	}
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.pending, 1024);	/* the rest wait for a bdev_io */
	ut_drive();
	CU_ASSERT_EQUAL(done, UT_NTASKS);
	for (i = 0; i < UT_NTASKS; i++) {
		ut_check_good(&tasks[i]);
	}
	/* Blocks written twice hold the later write. */
	for (i = 0; i < UT_BLOCKS; i++) {
		CU_ASSERT(memcmp(disk(i), bufs[i + UT_BLOCKS < UT_NTASKS ? i + UT_BLOCKS : i],
				 UT_BS) == 0);
	}
}

static void
test_sync_cache(void)
{
	uint8_t c10[10] = { SCSI_SYNC_CACHE_10 };
	uint8_t c16[16] = { SCSI_SYNC_CACHE_16 };

	ut_run(c10, 10, VD_SCSI_DIR_NONE, 0);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_FLUSH], 1);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.max_blocks_seen[VD_BDEV_IO_TYPE_FLUSH], UT_BLOCKS);

	scsi_put_be64(&c16[2], UT_BLOCKS - 1);
	scsi_put_be32(&c16[10], 2);
	ut_run(c16, 16, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x21, 0);

	c10[1] = 0x02;				/* IMMED accepted */
	g_ut_bdev_ctl.fail_next = 1;
	ut_run(c10, 10, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_MEDIUM_ERROR, 0x0c, 0);

	c10[1] = 0x80;
	ut_run(c10, 10, VD_SCSI_DIR_NONE, 0);
	ut_check_field(&g_task, true, 1, 7);
}

static void
test_fua_flushes_with_write_cache(void)
{
	uint8_t cdb[16];

	cdb_rw16(cdb, SCSI_WRITE_16, 0, 1);
	cdb[1] = 0x08;				/* FUA, no write cache: no flush */
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_FLUSH], 0);

	g_ub->bdev.write_cache = true;
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_FLUSH], 1);
	CU_ASSERT_EQUAL(g_task.data_len, UT_BS);
	g_ub->bdev.write_cache = false;
}

/* UNMAP ---------------------------------------------------------------------------------- */

static uint32_t
unmap_param(uint8_t *p, uint32_t ndesc, const uint64_t *lba, const uint32_t *n)
{
	uint32_t i;

	memset(p, 0, 8 + 16 * ndesc);
	scsi_put_be16(p, (uint16_t)(6 + 16 * ndesc));
	scsi_put_be16(&p[2], (uint16_t)(16 * ndesc));
	for (i = 0; i < ndesc; i++) {
		scsi_put_be64(&p[8 + 16 * i], lba[i]);
		scsi_put_be32(&p[8 + 16 * i + 8], n[i]);
	}
	return 8 + 16 * ndesc;
}

static void
ut_unmap(uint32_t param_len, uint32_t buf_len)
{
	uint8_t cdb[10] = { SCSI_UNMAP };

	scsi_put_be16(&cdb[7], (uint16_t)param_len);
	ut_run(cdb, 10, VD_SCSI_DIR_TO_DEV, buf_len);
}

static void
test_unmap(void)
{
	uint64_t lba[3] = { 10, 500, 20 };
	uint32_t n[3] = { 5, 0, 3 }, len;

	memset(disk(0), 0xff, UT_BLOCKS * UT_BS);
	len = unmap_param(g_buf, 3, lba, n);
	ut_unmap(len, len);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_UNMAP], 2);	/* 0 skipped */
	CU_ASSERT(all_bytes(disk(10), 5 * UT_BS, 0));
	CU_ASSERT(all_bytes(disk(20), 3 * UT_BS, 0));
	CU_ASSERT(all_bytes(disk(15), 5 * UT_BS, 0xff));
	CU_ASSERT(all_bytes(disk(500), UT_BS, 0xff));

	/* Parameter list length 0: nothing. */
	ut_unmap(0, 0);
	ut_check_good(&g_task);

	/* 1..7: PARAMETER LIST LENGTH ERROR. */
	ut_unmap(7, 7);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x1a, 0);

	/* Longer than the data-out buffer. */
	ut_unmap(len, len - 1);
	ut_check_field(&g_task, true, 7, 7);

	/* ANCHOR */
	{
		uint8_t cdb[10] = { SCSI_UNMAP, 0x01 };

		scsi_put_be16(&cdb[7], (uint16_t)len);
		ut_run(cdb, 10, VD_SCSI_DIR_TO_DEV, len);
		ut_check_field(&g_task, true, 1, 0);
	}
}

static void
test_unmap_bad_params(void)
{
	uint64_t lba[2] = { 10, UT_BLOCKS - 2 };
	uint32_t n[2] = { 5, 3 }, len;

	/* Second descriptor past the end: nothing is unmapped at all. */
	len = unmap_param(g_buf, 2, lba, n);
	ut_unmap(len, len);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x21, 0);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_UNMAP], 0);

	/* LBA + count overflow. */
	lba[1] = UINT64_MAX - 1;
	len = unmap_param(g_buf, 2, lba, n);
	ut_unmap(len, len);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x21, 0);

	/* Block descriptor data length beyond the parameter list. */
	lba[1] = 0;
	len = unmap_param(g_buf, 2, lba, n);
	scsi_put_be16(&g_buf[2], 48);
	ut_unmap(len, len);
	ut_check_field(&g_task, false, 2, 7);

	/* UNMAP DATA LENGTH beyond the parameter list. */
	len = unmap_param(g_buf, 2, lba, n);
	scsi_put_be16(&g_buf[0], (uint16_t)len);
	ut_unmap(len, len);
	ut_check_field(&g_task, false, 0, 7);

	/* Too many descriptors. */
	{
		static uint64_t l[SCSI_MAX_UNMAP_DESCS + 1];
		static uint32_t c[SCSI_MAX_UNMAP_DESCS + 1];

		len = unmap_param(g_buf, SCSI_MAX_UNMAP_DESCS + 1, l, c);
		ut_unmap(len, len);
		ut_check_field(&g_task, false, 2, 7);
		len = unmap_param(g_buf, SCSI_MAX_UNMAP_DESCS, l, c);
		ut_unmap(len, len);
		ut_check_good(&g_task);
	}

	/* Total count above the maximum: points at the count of the descriptor. */
	g_ub->bdev.blockcnt = (uint64_t)SCSI_MAX_UNMAP_BLOCKS * 4;
	lba[0] = 0;
	n[0] = SCSI_MAX_UNMAP_BLOCKS;
	lba[1] = SCSI_MAX_UNMAP_BLOCKS;
	n[1] = 1;
	len = unmap_param(g_buf, 2, lba, n);
	ut_unmap(len, len);
	ut_check_field(&g_task, false, 8 + 16 + 8, 7);
	g_ub->bdev.blockcnt = UT_BLOCKS;

	/* A trailing partial descriptor is ignored. */
	n[0] = 1;
	lba[0] = 3;
	len = unmap_param(g_buf, 1, lba, n);
	scsi_put_be16(&g_buf[0], 6 + 16 + 8);
	scsi_put_be16(&g_buf[2], 16 + 8);
	ut_unmap(len + 8, len + 8);
	ut_check_good(&g_task);

	/* Unmap failure in the bdev. */
	g_ut_bdev_ctl.fail_next = 1;
	ut_unmap(len + 8, len + 8);
	ut_check_sense(&g_task, VD_SCSI_SENSE_HARDWARE_ERROR, 0x44, 0);
}

static void
test_unmap_unsupported(void)
{
	uint8_t cdb[10] = { SCSI_UNMAP };

	uint8_t ws[16] = { SCSI_WRITE_SAME_16, 0x08 };

	ut_setup_no_unmap();
	ut_run(cdb, 10, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x20, 0);

	/* WRITE SAME with UNMAP falls back to writing (zeroes here). */
	memset(disk(0), 0xff, UT_BS);
	scsi_put_be32(&ws[10], 1);
	memset(g_buf, 0, UT_BS);
	ut_run(ws, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT(all_bytes(disk(0), UT_BS, 0));
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_UNMAP], 0);
}

/* WRITE SAME ----------------------------------------------------------------------------- */

static void
cdb_ws16(uint8_t *cdb, uint8_t flags, uint64_t lba, uint32_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_WRITE_SAME_16;
	cdb[1] = flags;
	scsi_put_be64(&cdb[2], lba);
	scsi_put_be32(&cdb[10], n);
}

static void
test_write_same_pattern(void)
{
	uint8_t cdb[16];
	uint32_t i, n = 600;	/* more than one bounce buffer (256 blocks) */

	fill(g_buf, UT_BS, 77);
	cdb_ws16(cdb, 0, 50, n);
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, UT_BS);
	for (i = 0; i < n; i++) {
		CU_ASSERT(memcmp(disk(50 + i), g_buf, UT_BS) == 0);
	}
	CU_ASSERT(all_bytes(disk(50 + n), UT_BS, 0));
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_WRITE], 3);
	CU_ASSERT(!scsi_dev_find_lun(g_dev, 0)->bounce_busy);

	/* WRITE SAME(10) */
	memset(cdb, 0, 10);
	cdb[0] = SCSI_WRITE_SAME_10;
	scsi_put_be32(&cdb[2], 700);
	scsi_put_be16(&cdb[7], 2);
	fill(g_buf, UT_BS, 1);
	ut_run(cdb, 10, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT(memcmp(disk(701), g_buf, UT_BS) == 0);
}

static void
test_write_same_zero_and_unmap(void)
{
	uint8_t cdb[16];

	memset(disk(0), 0xff, UT_BLOCKS * UT_BS);
	memset(g_buf, 0, UT_BS);
	cdb_ws16(cdb, 0, 10, 4);			/* zero block: WRITE_ZEROES */
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_WRITE_ZEROES], 1);
	CU_ASSERT(all_bytes(disk(10), 4 * UT_BS, 0) && all_bytes(disk(14), UT_BS, 0xff));

	cdb_ws16(cdb, 0x01, 20, 4);			/* NDOB: no data-out */
	ut_run(cdb, 16, VD_SCSI_DIR_NONE, 0);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_WRITE_ZEROES], 2);
	CU_ASSERT(all_bytes(disk(20), 4 * UT_BS, 0));

	fill(g_buf, UT_BS, 3);
	cdb_ws16(cdb, 0x08, 30, 4);			/* UNMAP bit */
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_UNMAP], 1);
	CU_ASSERT(all_bytes(disk(30), 4 * UT_BS, 0));
}

static void
test_write_same_bad(void)
{
	uint8_t cdb[16];

	cdb_ws16(cdb, 0, 10, 0);			/* WSNZ */
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_field(&g_task, true, 10, 7);

	cdb_ws16(cdb, 0, UT_BLOCKS - 1, 2);
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x21, 0);

	cdb_ws16(cdb, 0, 0, 1);
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS - 1);	/* no full block of data */
	ut_check_field(&g_task, true, 10, 7);

	cdb_ws16(cdb, 0x10, 0, 1);			/* ANCHOR */
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_field(&g_task, true, 1, 4);

	cdb_ws16(cdb, 0x02, 0, 1);			/* obsolete LBDATA */
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_field(&g_task, true, 1, 1);

	cdb_ws16(cdb, 0, 0, SCSI_MAX_WRITE_SAME_BLOCKS + 1);
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_field(&g_task, true, 10, 7);

	memset(cdb, 0, 10);
	cdb[0] = SCSI_WRITE_SAME_10;
	cdb[1] = 0x01;					/* no NDOB in (10) */
	scsi_put_be16(&cdb[7], 1);
	ut_run(cdb, 10, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_field(&g_task, true, 1, 0);

	fill(g_buf, UT_BS, 1);
	cdb_ws16(cdb, 0, 0, 1);
	g_ut_bdev_ctl.fail_next = 1;
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_sense(&g_task, VD_SCSI_SENSE_MEDIUM_ERROR, 0x0c, 0);
	CU_ASSERT(!scsi_dev_find_lun(g_dev, 0)->bounce_busy);
}

/* Two pattern WRITE SAMEs: the second waits for the bounce buffer. */
static void
test_write_same_bounce_wait(void)
{
	struct vd_scsi_task t2;
	struct iovec iov2;
	uint8_t cdb[16], buf2[UT_BS];
	uint32_t done = 0;

	fill(g_buf, UT_BS, 1);
	fill(buf2, UT_BS, 2);
	g_iov = (struct iovec){ g_buf, UT_BS };
	iov2 = (struct iovec){ buf2, UT_BS };
	cdb_ws16(cdb, 0, 0, 4);
	ut_task_prep(&g_task, cdb, 16, VD_SCSI_DIR_TO_DEV, &g_iov, 1);
	g_task.cpl_arg = &done;
	cdb_ws16(cdb, 0, 2, 4);
	ut_task_prep(&t2, cdb, 16, VD_SCSI_DIR_TO_DEV, &iov2, 1);
	t2.cpl_arg = &done;
	t2.tag = 2;
	vd_scsi_dev_submit(g_dev, &g_task);
	vd_scsi_dev_submit(g_dev, &t2);
	CU_ASSERT(t2.priv.bounce_waiting);
	ut_drive();
	CU_ASSERT_EQUAL(done, 2);
	ut_check_good(&g_task);
	ut_check_good(&t2);
	CU_ASSERT(memcmp(disk(1), g_buf, UT_BS) == 0);
	CU_ASSERT(memcmp(disk(2), buf2, UT_BS) == 0);	/* second one ran after */
	CU_ASSERT(memcmp(disk(5), buf2, UT_BS) == 0);
}

/* VERIFY --------------------------------------------------------------------------------- */

static void
test_verify(void)
{
	uint8_t cdb[16];

	fill(disk(40), 3 * UT_BS, 9);
	cdb_rw16(cdb, SCSI_VERIFY_16, 40, 3);		/* BYTCHK 0: range check only */
	ut_run(cdb, 16, VD_SCSI_DIR_NONE, 0);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_READ], 0);

	cdb[1] = 0x02;					/* BYTCHK 1 */
	memcpy(g_buf, disk(40), 3 * UT_BS);
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, 3 * UT_BS);
	ut_check_good(&g_task);
	CU_ASSERT_EQUAL(g_task.data_len, 3 * UT_BS);

	g_buf[UT_BS + 17] ^= 1;
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, 3 * UT_BS);
	ut_check_sense(&g_task, VD_SCSI_SENSE_MISCOMPARE, 0x1d, 0);
	CU_ASSERT_EQUAL(g_task.sense[0], 0xf0);			/* VALID */
	CU_ASSERT_EQUAL(scsi_be32(&g_task.sense[3]), UT_BS + 17);

	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, 2 * UT_BS);	/* short data-out */
	ut_check_field(&g_task, true, 10, 7);

	cdb[1] = 0x04;					/* BYTCHK 10b */
	ut_run(cdb, 16, VD_SCSI_DIR_TO_DEV, 3 * UT_BS);
	ut_check_field(&g_task, true, 1, 2);

	cdb_rw10(cdb, SCSI_VERIFY_10, UT_BLOCKS, 1);
	ut_run(cdb, 10, VD_SCSI_DIR_NONE, 0);
	ut_check_sense(&g_task, VD_SCSI_SENSE_ILLEGAL_REQUEST, 0x21, 0);

	cdb_rw10(cdb, SCSI_VERIFY_10, 40, 1);
	cdb[1] = 0x02;
	memcpy(g_buf, disk(40), UT_BS);
	g_ut_bdev_ctl.fail_next = 1;
	ut_run(cdb, 10, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_sense(&g_task, VD_SCSI_SENSE_MEDIUM_ERROR, 0x11, 0);
	ut_run(cdb, 10, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_good(&g_task);

	memset(cdb, 0, 12);
	cdb[0] = SCSI_VERIFY_12;
	cdb[1] = 0x02;
	scsi_put_be32(&cdb[2], 40);
	scsi_put_be32(&cdb[6], 1);
	ut_run(cdb, 12, VD_SCSI_DIR_TO_DEV, UT_BS);
	ut_check_good(&g_task);
}

static void
test_verify_large(void)
{
	uint8_t cdb[16];
	uint8_t *buf = malloc(600 * UT_BS);
	struct iovec iov = { buf, 600 * UT_BS };

	CU_ASSERT_FATAL(buf != NULL);
	fill(disk(0), 600 * UT_BS, 4);
	memcpy(buf, disk(0), 600 * UT_BS);
	buf[599 * UT_BS] ^= 0x80;
	cdb_rw16(cdb, SCSI_VERIFY_16, 0, 600);
	cdb[1] = 0x02;
	ut_task_prep(&g_task, cdb, 16, VD_SCSI_DIR_TO_DEV, &iov, 1);
	ut_submit(&g_task);
	ut_check_sense(&g_task, VD_SCSI_SENSE_MISCOMPARE, 0x1d, 0);
	CU_ASSERT_EQUAL(scsi_be32(&g_task.sense[3]), 599 * UT_BS);
	CU_ASSERT_EQUAL(g_ut_bdev_ctl.submitted[VD_BDEV_IO_TYPE_READ], 3);
	free(buf);
}

static CU_pSuite
add_tests(void)
{
	CU_pSuite s = CU_add_suite_with_setup_and_teardown("scsi_sbc", NULL, NULL, ut_setup,
							   ut_teardown);

	if (s == NULL) {
		return NULL;
	}
	CU_ADD_TEST(s, test_read_capacity);
	CU_ADD_TEST(s, test_write_read_data);
	CU_ADD_TEST(s, test_rw6);
	CU_ADD_TEST(s, test_rw_range);
	CU_ADD_TEST(s, test_rw_buffer_length);
	CU_ADD_TEST(s, test_rw_bdev_errors);
	CU_ADD_TEST(s, test_rw_io_wait);
	CU_ADD_TEST(s, test_sync_cache);
	CU_ADD_TEST(s, test_fua_flushes_with_write_cache);
	CU_ADD_TEST(s, test_unmap);
	CU_ADD_TEST(s, test_unmap_bad_params);
	CU_ADD_TEST(s, test_unmap_unsupported);
	CU_ADD_TEST(s, test_write_same_pattern);
	CU_ADD_TEST(s, test_write_same_zero_and_unmap);
	CU_ADD_TEST(s, test_write_same_bad);
	CU_ADD_TEST(s, test_write_same_bounce_wait);
	CU_ADD_TEST(s, test_verify);
	CU_ADD_TEST(s, test_verify_large);
	return s;
}

int
main(void)
{
	return ut_run_suite(add_tests);
}
