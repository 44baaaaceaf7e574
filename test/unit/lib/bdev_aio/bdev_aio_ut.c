/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of the AIO backend (bdev_aio.c and the shared bdev_file.c) with the real bdev
 * layer on fake threads and a real O_DIRECT file: the shared tests of file_backend_ut.h plus
 * the AIO-specific paths (user-space completion ring, the fdatasync fallback of FLUSH).
 */

#include "bdev_aio/bdev_aio.c"
#include "bdev_aio/bdev_file.c"

#define UT_CREATE(n, f, bs, out) \
	vd_bdev_aio_create(&(struct vd_bdev_aio_opts){ .name = (n), .filename = (f), \
						       .block_size = (bs) }, (out))
#define UT_DELETE(n, cb, arg) vd_bdev_aio_delete((n), (cb), (arg))
#define UT_MODULE vd_bdev_aio_module
#define UT_QD VD_BDEV_AIO_QUEUE_DEPTH
#define UT_CREATE_METHOD "bdev_aio_create"
#define UT_PRODUCT "AIO disk"

#include "file_backend_ut.h"

/* The kernel's completion ring is recognised, so completions are reaped without syscalls. */
static void
test_user_ring(void)
{
	struct vd_bdev *bdev = create_ok("aio0", 65536, 4096);
	struct vd_io_channel *ch = vd_get_io_channel(bdev->ctxt);
	struct aio_channel *ach;

	CU_ASSERT_FATAL(ch != NULL);
	ach = vd_io_channel_get_ctx(ch);
	CU_ASSERT(ach->user_reap);
	CU_ASSERT(ach->inflight == 0 && ach->npending == 0);
	vd_put_io_channel(ch);
	ut_poll_all();
	delete_ok("aio0");
}

/* Submission only queues; the poller submits the batch; flush works with either path. */
static void
test_batch_and_flush_fallback(void)
{
	struct vd_bdev *bdev = create_ok("aio1", 65536, 4096);
	struct aio_disk *disk = bdev->ctxt;
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch, *mch;
	struct ut_io io[3] = { 0 };
	struct aio_channel *ach;

	open_ch("aio1", &desc, &ch);
	mch = vd_get_io_channel(disk);
	ach = vd_io_channel_get_ctx(mch);
	CU_ASSERT(vd_bdev_flush_blocks(desc, ch, 0, 16, ut_io_done, &io[0]) == 0);
	CU_ASSERT(vd_bdev_flush_blocks(desc, ch, 0, 16, ut_io_done, &io[1]) == 0);
	CU_ASSERT(ach->npending == 2 && ach->inflight == 0);
	/* AIO completes in any order: wait for both. */
	CU_ASSERT(wait_for(&io[0].count, 1) && wait_for(&io[1].count, 1));
	CU_ASSERT(io[0].success && io[1].success);
	CU_ASSERT(ach->npending == 0 && ach->inflight == 0);

	disk->fdsync_unsupported = true;
	CU_ASSERT(vd_bdev_flush_blocks(desc, ch, 0, 16, ut_io_done, &io[2]) == 0);
	CU_ASSERT(ach->npending == 0);	/* done synchronously, completed by the bdev layer */
	CU_ASSERT(wait_for(&io[2].count, 1) && io[2].success);
	vd_put_io_channel(mch);
	close_ch(desc, ch);
	delete_ok("aio1");
}

static void
aio_tests(CU_pSuite suite)
{
	CU_ADD_TEST(suite, test_user_ring);
	CU_ADD_TEST(suite, test_batch_and_flush_fallback);
}

int
main(void)
{
	return run_file_backend_tests("bdev_aio", aio_tests);
}
