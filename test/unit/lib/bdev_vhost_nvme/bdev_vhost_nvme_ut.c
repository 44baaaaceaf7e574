/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of the vhost-nvme bdev module's I/O path: iovec slicing, transfer limits (MDTS,
 * NLB), splitting one bdev I/O into several commands with their PRPs pointing into the
 * caller's buffers, queue-room handling (NOMEM / too large), a failing command, a bad layout
 * in a later command, a lost connection failing outstanding I/O, and option checks.
 *
 * The front-end runs for real over external memory (its driver half is included so that the
 * test can reach its queues and play the controller); the bdev layer is stubbed to record
 * completions.
 */

#include <CUnit/Basic.h>
#include <stdlib.h>

#include "nvme_frontend/fe_driver.c"
#include "bdev_vhost_nvme/bdev_vhost_nvme.c"

#define UT_MEM (4u << 20)
#define UT_QSIZE 8

/* bdev layer stubs ------------------------------------------------------------------------- */

static uint32_t g_done;
static enum vd_bdev_io_status g_status;
static int g_errno;

void
vd_bdev_io_complete(struct vd_bdev_io *io, enum vd_bdev_io_status st)
{
	g_done++;
	g_status = st;
}

void
vd_bdev_io_complete_errno(struct vd_bdev_io *io, int e)
{
	g_errno = e;
	vd_bdev_io_complete(io, e == 0	       ? VD_BDEV_IO_STATUS_SUCCESS
				: e == -ENOMEM ? VD_BDEV_IO_STATUS_NOMEM
					       : VD_BDEV_IO_STATUS_FAILED);
}

int
vd_bdev_register(struct vd_bdev *bdev)
{
	return 0;
}

void
vd_bdev_unregister(struct vd_bdev *bdev, vd_bdev_unregister_cb cb, void *cb_arg)
{
}

void
vd_bdev_destruct_done(struct vd_bdev *bdev, int rc)
{
}

/* Fixture ---------------------------------------------------------------------------------- */

static uint8_t *g_mem;
static struct vd_nvme_fe *g_fe;
static struct nvme_ctrlr g_ctrlr;
static struct nvme_disk g_disk;
static struct nvme_channel g_ch;
static struct vd_bdev_io *g_io;
static struct iovec g_iov[4];

static int
setup(void)
{
	g_mem = aligned_alloc(FE_PAGE, UT_MEM);
	g_fe = calloc(1, sizeof(*g_fe));
	g_io = calloc(1, sizeof(*g_io) + sizeof(struct nvme_task));
	if (g_mem == NULL || g_fe == NULL || g_io == NULL) {
		return -1;
	}
	g_fe->external = true;
	g_fe->nregions = 1;
	g_fe->regions[0] = (struct vd_nvme_fe_region){g_mem, UT_MEM, 3, 0};
	g_fe->mem = g_mem;
	g_fe->mem_size = 1u << 20;
	g_fe->db = calloc(1, VD_VHOST_NVME_DB_PAGE_SIZE);
	g_fe->connected = true;
	g_fe->nq = 1;
	g_ctrlr.num_io_queues = 1;
	g_ctrlr.base.name = "ut";
	g_ctrlr.queue_size = UT_QSIZE;
	g_ctrlr.max_xfer = nvme_max_xfer(5);
	g_ctrlr.fe = g_fe;
	g_disk.base.ctrlr = &g_ctrlr.base;
	g_disk.nsid = 3;
	g_disk.base.bdev.blocklen = 512;
	g_disk.base.bdev.ctxt = &g_disk;
	g_disk.chunk_blocks = nvme_chunk_blocks(g_ctrlr.max_xfer, 512);
	g_ch = (struct nvme_channel){.ctrlr = &g_ctrlr, .fe = g_fe, .qid = 1};
	g_io->bdev = &g_disk.base.bdev;
	g_io->iovs = g_iov;
	return g_fe->db == NULL || queue_setup(g_fe, 1, UT_QSIZE) != 0 ? -1 : 0;
}

static int
teardown(void)
{
	free(g_fe->q[1].slots);
	free((void *)g_fe->db);
	free(g_fe);
	free(g_io);
	free(g_mem);
	return 0;
}

static void
io_prep(enum vd_bdev_io_type type, uint64_t lba, uint64_t blocks, int iovcnt)
{
	g_io->type = type;
	g_io->offset_blocks = lba;
	g_io->num_blocks = blocks;
	g_io->iovcnt = iovcnt;
	memset(vd_bdev_io_get_driver_ctx(g_io), 0, sizeof(struct nvme_task));
	g_done = 0;
	g_errno = 0;
	g_status = VD_BDEV_IO_STATUS_PENDING;
}

/* Play the controller: complete the outstanding commands (status \p bad_status for the
 * command at SQ position \p bad_pos, success otherwise) and let the channel reap them. */
static void
controller_complete(int bad_pos, uint16_t bad_status)
{
	struct fe_queue *q = &g_fe->q[1];
	uint16_t cid, pos = q->cq_head, st;
	uint8_t phase = q->phase;
	int i = 0;

	for (cid = 0; cid < q->size; cid++) {
		if (!q->slots[cid].busy) {
			continue;
		}
		st = (i++ == bad_pos) ? NVME_CQE_STATUS(bad_status, false) : 0;
		q->cq[pos] =
			(struct nvme_cqe){.cid = cid, .sqid = 1, .status = (uint16_t)(st | phase)};
		if (++pos == q->size) {
			pos = 0;
			phase ^= 1;
		}
	}
	channel_poll(&g_ch);
}

static const struct nvme_sqe *
sq_entry(uint16_t back)
{
	struct fe_queue *q = &g_fe->q[1];

	return &q->sq[(q->sq_tail + q->size - back) % q->size];
}

/* Tests ------------------------------------------------------------------------------------ */

static void
test_iov_take(void)
{
	struct iovec in[3] = {{g_mem, 1000}, {g_mem + 4096, 0}, {g_mem + 8192, 3000}}, out[4];
	struct nvme_iov_cursor cur = {.iov = in, .iovcnt = 3};

	CU_ASSERT_EQUAL(nvme_iov_take(&cur, 500, out, 4), 1);
	CU_ASSERT_PTR_EQUAL(out[0].iov_base, g_mem);
	CU_ASSERT_EQUAL(out[0].iov_len, 500);
	/* Crosses an empty iovec. */
	CU_ASSERT_EQUAL(nvme_iov_take(&cur, 1500, out, 4), 2);
	CU_ASSERT_PTR_EQUAL(out[0].iov_base, g_mem + 500);
	CU_ASSERT_EQUAL(out[0].iov_len, 500);
	CU_ASSERT_PTR_EQUAL(out[1].iov_base, g_mem + 8192);
	CU_ASSERT_EQUAL(out[1].iov_len, 1000);
	CU_ASSERT_EQUAL(nvme_iov_take(&cur, 2001, out, 4), -EINVAL); /* 2000 left */
	cur = (struct nvme_iov_cursor){.iov = in, .iovcnt = 3};
	CU_ASSERT_EQUAL(nvme_iov_take(&cur, 4000, out, 1), -EINVAL); /* too many pieces */
	cur = (struct nvme_iov_cursor){.iov = in, .iovcnt = 3};
	CU_ASSERT_EQUAL(nvme_iov_take(&cur, 4000, out, 2), 2);
	CU_ASSERT_EQUAL(cur.idx, 3);
	CU_ASSERT_EQUAL(nvme_iov_take(&cur, 0, out, 2), 0);
}

static void
test_limits(void)
{
	CU_ASSERT_EQUAL(nvme_max_xfer(0), NVME_BDEV_MAX_XFER);
	CU_ASSERT_EQUAL(nvme_max_xfer(5), 128 * 1024);
	CU_ASSERT_EQUAL(nvme_max_xfer(1), 8192);
	CU_ASSERT_EQUAL(nvme_max_xfer(9), NVME_BDEV_MAX_XFER);
	CU_ASSERT_EQUAL(nvme_max_xfer(255), NVME_BDEV_MAX_XFER);
	CU_ASSERT_EQUAL(nvme_chunk_blocks(128 * 1024, 512), 256);
	CU_ASSERT_EQUAL(nvme_chunk_blocks(128 * 1024, 4096), 32);
	CU_ASSERT_EQUAL(nvme_chunk_blocks(4096, 65536), 1);
	CU_ASSERT_EQUAL(nvme_chunk_blocks(1ull << 40, 512), NVME_BDEV_MAX_NLB);
}

static void
test_read_one_command(void)
{
	const struct nvme_sqe *s;

	g_iov[0] = (struct iovec){g_mem + (2u << 20), 4096};
	io_prep(VD_BDEV_IO_TYPE_READ, 1000, 8, 1);
	submit_split(&g_ch, g_io, NVME_OPC_READ, g_disk.chunk_blocks);
	CU_ASSERT_EQUAL(g_done, 0);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 1);
	s = sq_entry(1);
	CU_ASSERT_EQUAL(s->opc, NVME_OPC_READ);
	CU_ASSERT_EQUAL(s->nsid, 3);
	CU_ASSERT_EQUAL(s->cdw10, 1000);
	CU_ASSERT_EQUAL(s->cdw12 & 0xffff, 7);
	/* Zero copy: PRP1 is the caller's buffer. */
	CU_ASSERT_EQUAL(s->prp1, (uint64_t)(uintptr_t)(g_mem + (2u << 20)));
	controller_complete(-1, 0);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_status, VD_BDEV_IO_STATUS_SUCCESS);
}

static void
test_split_at_mdts(void)
{
	uint8_t *b = g_mem + (2u << 20);
	const struct nvme_sqe *s1, *s2;

	/* 256 KiB in two iovecs of 128 KiB + 4 KiB + 124 KiB: two commands of 256 blocks. */
	g_iov[0] = (struct iovec){b, 128 * 1024 + 4096};
	g_iov[1] = (struct iovec){b + (1u << 20), 124 * 1024};
	io_prep(VD_BDEV_IO_TYPE_WRITE, 64, 512, 2);
	submit_split(&g_ch, g_io, NVME_OPC_WRITE, g_disk.chunk_blocks);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 2);
	s1 = sq_entry(2);
	s2 = sq_entry(1);
	CU_ASSERT_EQUAL(s1->opc, NVME_OPC_WRITE);
	CU_ASSERT_EQUAL(s1->cdw10, 64);
	CU_ASSERT_EQUAL(s1->cdw12 & 0xffff, 255);
	CU_ASSERT_EQUAL(s2->cdw10, 64 + 256);
	CU_ASSERT_EQUAL(s2->cdw12 & 0xffff, 255);
	CU_ASSERT_EQUAL(s1->prp1, (uint64_t)(uintptr_t)b);
	CU_ASSERT_EQUAL(s2->prp1, (uint64_t)(uintptr_t)(b + 128 * 1024));
	/* Second command: its first page, then the 124 KiB of the second iovec in its list. */
	CU_ASSERT_EQUAL(((uint64_t *)(uintptr_t)s2->prp2)[0],
			(uint64_t)(uintptr_t)(b + (1u << 20)));
	controller_complete(-1, 0);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_status, VD_BDEV_IO_STATUS_SUCCESS);
}

static void
test_one_command_fails(void)
{
	g_iov[0] = (struct iovec){g_mem + (2u << 20), 3 * 128 * 1024};
	io_prep(VD_BDEV_IO_TYPE_READ, 0, 768, 1);
	submit_split(&g_ch, g_io, NVME_OPC_READ, g_disk.chunk_blocks);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 3);
	controller_complete(1, NVME_STATUS(NVME_SCT_MEDIA, 0x81));
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_status, VD_BDEV_IO_STATUS_FAILED);
	CU_ASSERT_EQUAL(g_errno, -EIO);
}

static void
test_queue_room(void)
{
	uint32_t i;

	/* 8 commands can never fit a queue of 8 entries (7 usable). */
	g_iov[0] = (struct iovec){g_mem + (2u << 20), 8 * 128 * 1024};
	io_prep(VD_BDEV_IO_TYPE_READ, 0, 8 * 256, 1);
	submit_split(&g_ch, g_io, NVME_OPC_READ, g_disk.chunk_blocks);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_errno, -EINVAL);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 0);
	/* 5 busy + 3 needed > 7: NOMEM, retried later by the bdev layer. */
	g_iov[0].iov_len = 4096;
	for (i = 0; i < 5; i++) {
		io_prep(VD_BDEV_IO_TYPE_READ, 0, 8, 1);
		submit_split(&g_ch, g_io, NVME_OPC_READ, g_disk.chunk_blocks);
	}
	g_iov[0].iov_len = 3 * 128 * 1024;
	io_prep(VD_BDEV_IO_TYPE_READ, 0, 768, 1);
	submit_split(&g_ch, g_io, NVME_OPC_READ, g_disk.chunk_blocks);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_status, VD_BDEV_IO_STATUS_NOMEM);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 5);
	controller_complete(-1, 0);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 0);
}

static void
test_bad_layout_in_second_command(void)
{
	uint8_t *b = g_mem + (2u << 20);

	/* The second command would start with a buffer that is not page aligned. */
	g_iov[0] = (struct iovec){b, 128 * 1024};
	g_iov[1] = (struct iovec){b + (1u << 20) + 512, 128 * 1024};
	io_prep(VD_BDEV_IO_TYPE_READ, 0, 512, 2);
	submit_split(&g_ch, g_io, NVME_OPC_READ, g_disk.chunk_blocks);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 2); /* PRP1 may have any offset */
	controller_complete(-1, 0);
	CU_ASSERT_EQUAL(g_status, VD_BDEV_IO_STATUS_SUCCESS);
	/* Inner boundary not on a page inside one command: the first command is sent, the
	 * I/O fails once it completed. */
	g_iov[0] = (struct iovec){b, 128 * 1024};
	g_iov[1] = (struct iovec){b + (1u << 20), 2048};
	g_iov[2] = (struct iovec){b + (1u << 20) + 8192, 128 * 1024 - 2048};
	io_prep(VD_BDEV_IO_TYPE_READ, 0, 512, 3);
	submit_split(&g_ch, g_io, NVME_OPC_READ, g_disk.chunk_blocks);
	CU_ASSERT_EQUAL(g_done, 0);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 1);
	controller_complete(-1, 0);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_errno, -EINVAL);
	/* Not in shared memory at all: fails at once. */
	g_iov[0] = (struct iovec){g_mem - 8192, 4096};
	io_prep(VD_BDEV_IO_TYPE_READ, 0, 8, 1);
	submit_split(&g_ch, g_io, NVME_OPC_READ, g_disk.chunk_blocks);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_errno, -EFAULT);
}

static void
test_write_zeroes_and_flush(void)
{
	io_prep(VD_BDEV_IO_TYPE_WRITE_ZEROES, 0, 70000, 0);
	submit_split(&g_ch, g_io, NVME_OPC_WRITE_ZEROES, NVME_BDEV_MAX_NLB);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 2);
	CU_ASSERT_EQUAL(sq_entry(2)->cdw12 & 0xffff, 65535);
	CU_ASSERT_EQUAL(sq_entry(1)->cdw10, 65536);
	CU_ASSERT_EQUAL(sq_entry(1)->cdw12 & 0xffff, 70000 - 65536 - 1);
	CU_ASSERT_EQUAL(sq_entry(1)->prp1, 0);
	controller_complete(-1, 0);
	CU_ASSERT_EQUAL(g_status, VD_BDEV_IO_STATUS_SUCCESS);
	g_ctrlr.vwc = false;
	CU_ASSERT_FALSE(disk_io_type_supported(&g_disk, VD_BDEV_IO_TYPE_FLUSH));
	g_ctrlr.vwc = true;
	CU_ASSERT_TRUE(disk_io_type_supported(&g_disk, VD_BDEV_IO_TYPE_FLUSH));
	CU_ASSERT_FALSE(disk_io_type_supported(&g_disk, VD_BDEV_IO_TYPE_UNMAP));
	CU_ASSERT_TRUE(disk_io_type_supported(&g_disk, VD_BDEV_IO_TYPE_READ));
}

static void
test_connection_lost(void)
{
	g_iov[0] = (struct iovec){g_mem + (2u << 20), 2 * 128 * 1024};
	io_prep(VD_BDEV_IO_TYPE_READ, 0, 512, 1);
	submit_split(&g_ch, g_io, NVME_OPC_READ, g_disk.chunk_blocks);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 2);
	CU_ASSERT_EQUAL(channel_poll(&g_ch), VD_POLLER_IDLE);
	fe_set_disconnected(g_fe);
	CU_ASSERT_EQUAL(channel_poll(&g_ch), VD_POLLER_BUSY);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_errno, -ENOTCONN);
	CU_ASSERT_EQUAL(vd_nvme_fe_outstanding(g_fe, 1), 0);
	CU_ASSERT_EQUAL(channel_poll(&g_ch), VD_POLLER_IDLE);
	/* New I/O fails at once. */
	io_prep(VD_BDEV_IO_TYPE_READ, 0, 8, 1);
	submit_split(&g_ch, g_io, NVME_OPC_READ, g_disk.chunk_blocks);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_NOT_EQUAL(g_errno, 0);
}

static void
test_attach_opts(void)
{
	struct vd_bdev_vhost_nvme_opts o = {.name = "N", .path = "/tmp/s"};
	char longname[VD_BDEV_MAX_NAME_LEN];

	CU_ASSERT_EQUAL(attach_opts_check(&o), 0);
	o.io_queues = VD_BDEV_VHOST_NVME_MAX_IO_QUEUES + 1;
	CU_ASSERT_EQUAL(attach_opts_check(&o), -EINVAL);
	o.io_queues = 2;
	o.queue_size = 2;
	CU_ASSERT_EQUAL(attach_opts_check(&o), -EINVAL);
	o.queue_size = 2048;
	CU_ASSERT_EQUAL(attach_opts_check(&o), -EINVAL);
	o.queue_size = 0;
	o.path = "";
	CU_ASSERT_EQUAL(attach_opts_check(&o), -EINVAL);
	o.path = "/tmp/s";
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	o.name = longname;
	CU_ASSERT_EQUAL(attach_opts_check(&o), -EINVAL);
	/* No vhostd thread here: refused before anything is allocated. */
	o.name = "N";
	CU_ASSERT_EQUAL(vd_bdev_vhost_nvme_attach(&o, (vd_bdev_vhost_nvme_attach_cb)1, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(vd_bdev_vhost_nvme_detach("N", NULL, NULL), -ENODEV);
	CU_ASSERT_EQUAL(vd_bdev_vhost_nvme_detach(NULL, NULL, NULL), -ENODEV);
}

int
main(void)
{
	CU_pSuite s;
	unsigned int failures;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	s = CU_add_suite("bdev_vhost_nvme", setup, teardown);
	CU_add_test(s, "iov_take", test_iov_take);
	CU_add_test(s, "limits", test_limits);
	CU_add_test(s, "read_one_command", test_read_one_command);
	CU_add_test(s, "split_at_mdts", test_split_at_mdts);
	CU_add_test(s, "one_command_fails", test_one_command_fails);
	CU_add_test(s, "queue_room", test_queue_room);
	CU_add_test(s, "bad_layout_in_second_command", test_bad_layout_in_second_command);
	CU_add_test(s, "write_zeroes_and_flush", test_write_zeroes_and_flush);
	CU_add_test(s, "connection_lost", test_connection_lost);
	CU_add_test(s, "attach_opts", test_attach_opts);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures == 0 && s != NULL ? 0 : 1;
}
