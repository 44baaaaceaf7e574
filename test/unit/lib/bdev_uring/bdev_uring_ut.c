/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of the io_uring backend (bdev_uring.c) with the real bdev layer on fake threads
 * and a real O_DIRECT file: the shared tests of ../bdev_aio/file_backend_ut.h plus batched
 * submission and the fixed-file registration.
 */

#include "bdev_uring/bdev_uring.c"

#define UT_CREATE(n, f, bs, out) \
	vd_bdev_uring_create(&(struct vd_bdev_uring_opts){ .name = (n), .filename = (f), \
							   .block_size = (bs) }, (out))
#define UT_DELETE(n, cb, arg) vd_bdev_uring_delete((n), (cb), (arg))
#define UT_MODULE vd_bdev_uring_module
#define UT_QD VD_BDEV_URING_QUEUE_DEPTH
#define UT_CREATE_METHOD "bdev_uring_create"
#define UT_PRODUCT "io_uring disk"

#include "../bdev_aio/file_backend_ut.h"

/* Submissions only prepare SQEs; one poll submits them all; the file is a fixed file. */
static void
test_batched_submit(void)
{
	struct vd_bdev *bdev = create_ok("ur0", 65536, 4096);
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch, *mch;
	struct uring_channel *uch;
	struct ut_io io[8];
	uint8_t *buf = abuf(4096 * 8, 0x3c);
	int i, done;

	open_ch("ur0", &desc, &ch);
	mch = vd_get_io_channel(bdev->ctxt);
	uch = vd_io_channel_get_ctx(mch);
	CU_ASSERT(uch->sqe_flags == IOSQE_FIXED_FILE && uch->fd == 0);
	memset(io, 0, sizeof(io));
	for (i = 0; i < 8; i++) {
		CU_ASSERT(vd_bdev_write_blocks(desc, ch, buf + 4096 * i, (uint64_t)i, 1,
					       ut_io_done, &io[i]) == 0);
	}
	CU_ASSERT(uch->queued == 8 && uch->inflight == 0);
	ut_poll_thread(0);
	CU_ASSERT(uch->queued == 0);
	for (double deadline = now_sec() + UT_WAIT_SEC; now_sec() < deadline;) {
		ut_poll_all();
		for (done = 0, i = 0; i < 8; i++) {
			done += io[i].count == 1 && io[i].success;
		}
		if (done == 8) {
			break;
		}
	}
	CU_ASSERT(done == 8);
	CU_ASSERT(uch->inflight == 0);
	vd_put_io_channel(mch);
	close_ch(desc, ch);
	delete_ok("ur0");
	free(buf);
}

static void
uring_tests(CU_pSuite suite)
{
	CU_ADD_TEST(suite, test_batched_submit);
}

int
main(void)
{
	return run_file_backend_tests("bdev_uring", uring_tests);
}
