/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Tests shared by the AIO and io_uring backends (bdev_aio_ut.c, bdev_uring_ut.c).  They run the
 * real bdev layer and the backend on fake threads against a real file in /var/tmp opened
 * O_DIRECT, so the kernel completes the I/O: wait_for() polls the thread until a condition
 * holds, bounded by a wall-clock deadline so a lost completion fails instead of hanging.
 *
 * The including file defines, before including this one:
 *   UT_CREATE(name, filename, block_size, bdevp)   -> 0 or negative errno
 *   UT_DELETE(name, cb, arg)                       -> 0 or negative errno
 *   UT_MODULE                                      the struct vd_bdev_module
 *   UT_QD                                          the backend's per-channel queue depth
 */
#ifndef FILE_BACKEND_UT_H
#define FILE_BACKEND_UT_H

#include <CUnit/Basic.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vhostd/bdev.h"
#include "vhostd/bdev_module.h"
#include "ut_thread.h"

#define UT_DIR		"/var/tmp"
#define UT_WAIT_SEC	10

static char g_path[256];

struct ut_io {
	int count;
	bool success;
	int errnum;
};

static void
ut_io_done(struct vd_bdev_io *io, bool success, void *arg)
{
	struct ut_io *r = arg;

	r->count++;
	r->success = success;
	r->errnum = vd_bdev_io_get_errno(io);
	vd_bdev_free_io(io);
}

static int g_removed;

static void
ut_event_cb(enum vd_bdev_event_type type, struct vd_bdev *bdev, void *ctx)
{
	if (type == VD_BDEV_EVENT_REMOVE) {
		g_removed++;
	}
}

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Poll until *counter >= target (or the deadline).  \return whether it got there. */
static bool
wait_for(const int *counter, int target)
{
	double deadline = now_sec() + UT_WAIT_SEC;

	while (*counter < target && now_sec() < deadline) {
		ut_poll_all();
	}
	ut_poll_all();
	return *counter >= target;
}

/* A file of \p size bytes filled with 0xa5 (so reads of holes are not mistaken for data). */
static void
make_file(off_t size)
{
	char buf[4096];
	off_t off;
	int fd;

	snprintf(g_path, sizeof(g_path), UT_DIR "/vd_file_ut.%d", (int)getpid());
	fd = open(g_path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	memset(buf, 0xa5, sizeof(buf));
	for (off = 0; off < size; off += (off_t)sizeof(buf)) {
		size_t n = (size_t)VD_MIN((off_t)sizeof(buf), size - off);

		CU_ASSERT_FATAL(write(fd, buf, n) == (ssize_t)n);
	}
	close(fd);
}

static int g_init_rc = 1;

static void
init_done(void *arg, int rc)
{
	g_init_rc = rc;
}

static void
fini_done(void *arg)
{
	*(int *)arg = 1;
}

static int
suite_init(void)
{
	if (ut_thread_init(1) != 0) {
		return -1;
	}
	vd_bdev_module_register(&UT_MODULE);
	vd_bdev_initialize(init_done, NULL);
	ut_poll_all();
	return g_init_rc;
}

static int
suite_fini(void)
{
	int done = 0;

	vd_bdev_finish(fini_done, &done);
	ut_poll_all();
	ut_thread_fini();
	unlink(g_path);
	return done ? 0 : -1;
}

static struct vd_bdev *
create_ok(const char *name, off_t size, uint32_t bs)
{
	struct vd_bdev *bdev = NULL;

	make_file(size);
	CU_ASSERT_FATAL(UT_CREATE(name, g_path, bs, &bdev) == 0);
	CU_ASSERT_FATAL(bdev != NULL);
	return bdev;
}

static int g_delete_count;
static int g_delete_rc = 1;

static void
delete_done(void *arg, int rc)
{
	g_delete_count++;
	g_delete_rc = rc;
}

static void
delete_ok(const char *name)
{
	g_delete_count = 0;
	CU_ASSERT_FATAL(UT_DELETE(name, delete_done, NULL) == 0);
	CU_ASSERT(wait_for(&g_delete_count, 1));
	CU_ASSERT(g_delete_rc == 0);
	CU_ASSERT(vd_bdev_get_by_name(name) == NULL);
}

static void
open_ch(const char *name, struct vd_bdev_desc **desc, struct vd_io_channel **ch)
{
	CU_ASSERT_FATAL(vd_bdev_open_ext(name, true, ut_event_cb, NULL, desc) == 0);
	*ch = vd_bdev_get_io_channel(*desc);
	CU_ASSERT_FATAL(*ch != NULL);
}

static void
close_ch(struct vd_bdev_desc *desc, struct vd_io_channel *ch)
{
	vd_put_io_channel(ch);
	ut_poll_all();
	vd_bdev_close(desc);
	ut_poll_all();
}

static void *
abuf(size_t len, int fill)
{
	void *p = NULL;

	CU_ASSERT_FATAL(posix_memalign(&p, 4096, len) == 0);
	memset(p, fill, len);
	return p;
}

/* Tests ------------------------------------------------------------------------------------ */

static void
test_probe(void)
{
	struct vd_bdev *bdev = create_ok("ut0", 1024 * 1024 + 100, 0);
	uint32_t bs = vd_bdev_get_block_size(bdev);

	/* Detected: the file system's direct-I/O alignment, at least 512. */
	CU_ASSERT(bs >= 512 && VD_IS_POW2(bs));
	CU_ASSERT(vd_bdev_get_num_blocks(bdev) == (1024 * 1024 + 100) / bs);
	CU_ASSERT(vd_bdev_get_buf_align(bdev) == bs);
	CU_ASSERT(vd_bdev_io_type_supported(bdev, VD_BDEV_IO_TYPE_FLUSH));
	CU_ASSERT(vd_bdev_io_type_supported(bdev, VD_BDEV_IO_TYPE_UNMAP));
	CU_ASSERT(strcmp(vd_bdev_get_product_name(bdev), UT_PRODUCT) == 0);
	delete_ok("ut0");

	bdev = create_ok("ut0", 1024 * 1024 + 100, 4096);
	CU_ASSERT(vd_bdev_get_block_size(bdev) == 4096);
	CU_ASSERT(vd_bdev_get_num_blocks(bdev) == 256);	/* the partial block is dropped */
	delete_ok("ut0");
}

static void
test_create_errors(void)
{
	struct vd_bdev *bdev = NULL;
	char missing[300];

	make_file(0);
	CU_ASSERT(UT_CREATE("ut1", g_path, 0, &bdev) == -EINVAL);	/* empty */
	make_file(300);
	CU_ASSERT(UT_CREATE("ut1", g_path, 512, &bdev) == -EINVAL);	/* below one block */
	make_file(65536);
	CU_ASSERT(UT_CREATE("ut1", g_path, 1000, &bdev) == -EINVAL);
	CU_ASSERT(UT_CREATE("ut1", g_path, 256, &bdev) == -EINVAL);
	CU_ASSERT(UT_CREATE("ut1", g_path, 131072, &bdev) == -EINVAL);
	CU_ASSERT(UT_CREATE("", g_path, 0, &bdev) == -EINVAL);
	CU_ASSERT(UT_CREATE(NULL, g_path, 0, &bdev) == -EINVAL);
	CU_ASSERT(UT_CREATE("ut1", "", 0, &bdev) == -EINVAL);
	CU_ASSERT(UT_CREATE("ut1", UT_DIR, 0, &bdev) == -EISDIR);	/* open(O_RDWR) refuses */
	CU_ASSERT(UT_CREATE("ut1", "/dev/null", 0, &bdev) == -EINVAL);	/* a char device */
	snprintf(missing, sizeof(missing), "%s.missing", g_path);
	CU_ASSERT(UT_CREATE("ut1", missing, 0, &bdev) == -ENOENT);
	CU_ASSERT(vd_bdev_get_by_name("ut1") == NULL);

	CU_ASSERT_FATAL(UT_CREATE("ut1", g_path, 0, &bdev) == 0);
	CU_ASSERT(UT_CREATE("ut1", g_path, 0, &bdev) == -EEXIST);
	CU_ASSERT(UT_DELETE("nosuch", delete_done, NULL) == -ENODEV);
	CU_ASSERT(UT_DELETE(NULL, delete_done, NULL) == -ENODEV);
	delete_ok("ut1");
}

static void
test_write_read(void)
{
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct ut_io w = { 0 }, r = { 0 };
	uint8_t *out = abuf(8192, 0x5a), *in = abuf(8192, 0);
	size_t i;

	create_ok("ut2", 1024 * 1024, 512);
	open_ch("ut2", &desc, &ch);
	for (i = 0; i < 8192; i++) {
		out[i] = (uint8_t)(i * 7 + 3);
	}
	CU_ASSERT(vd_bdev_write_blocks(desc, ch, out, 100, 16, ut_io_done, &w) == 0);
	CU_ASSERT(w.count == 0);	/* never inline */
	CU_ASSERT(wait_for(&w.count, 1) && w.success);
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, in, 100, 16, ut_io_done, &r) == 0);
	CU_ASSERT(wait_for(&r.count, 1) && r.success);
	CU_ASSERT(memcmp(out, in, 8192) == 0);
	/* The neighbouring block still holds the file's original bytes. */
	r.count = 0;
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, in, 116, 1, ut_io_done, &r) == 0);
	CU_ASSERT(wait_for(&r.count, 1) && r.success);
	CU_ASSERT(in[0] == 0xa5 && in[511] == 0xa5);
	close_ch(desc, ch);
	delete_ok("ut2");
	free(out);
	free(in);
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
test_flush_unmap_zeroes(void)
{
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct ut_io io = { 0 };
	uint8_t *in = abuf(65536, 0x11);

	create_ok("ut3", 1024 * 1024, 4096);
	open_ch("ut3", &desc, &ch);
	CU_ASSERT(vd_bdev_flush_blocks(desc, ch, 0, 256, ut_io_done, &io) == 0);
	CU_ASSERT(wait_for(&io.count, 1) && io.success);

	io.count = 0;
	CU_ASSERT(vd_bdev_unmap_blocks(desc, ch, 16, 16, ut_io_done, &io) == 0);
	CU_ASSERT(wait_for(&io.count, 1) && io.success);
	io.count = 0;
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, in, 16, 16, ut_io_done, &io) == 0);
	CU_ASSERT(wait_for(&io.count, 1) && io.success);
	CU_ASSERT(all_bytes(in, 65536, 0));	/* a punched hole reads as zeroes */

	io.count = 0;
	CU_ASSERT(vd_bdev_write_zeroes_blocks(desc, ch, 64, 16, ut_io_done, &io) == 0);
	CU_ASSERT(wait_for(&io.count, 1) && io.success);
	memset(in, 0x11, 65536);
	io.count = 0;
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, in, 64, 16, ut_io_done, &io) == 0);
	CU_ASSERT(wait_for(&io.count, 1) && io.success);
	CU_ASSERT(all_bytes(in, 65536, 0));
	/* Outside the zeroed range the data is untouched. */
	io.count = 0;
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, in, 80, 1, ut_io_done, &io) == 0);
	CU_ASSERT(wait_for(&io.count, 1) && io.success);
	CU_ASSERT(all_bytes(in, 4096, 0xa5));
	close_ch(desc, ch);
	delete_ok("ut3");
	free(in);
}

/* More I/O than the backend's queue: the overflow goes NOMEM and the bdev layer retries it. */
static void
test_queue_full(void)
{
	enum { N = UT_QD + 200 };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	static struct ut_io ios[N];
	int done = 0, ok = 0, i;
	uint8_t *buf = abuf(512, 0);

	create_ok("ut4", 1024 * 1024, 512);
	open_ch("ut4", &desc, &ch);
	memset(ios, 0, sizeof(ios));
	for (i = 0; i < N; i++) {
		CU_ASSERT_FATAL(vd_bdev_read_blocks(desc, ch, buf, (uint64_t)i % 2048, 1,
						    ut_io_done, &ios[i]) == 0);
	}
	for (double deadline = now_sec() + UT_WAIT_SEC; now_sec() < deadline;) {
		ut_poll_all();
		for (done = 0, ok = 0, i = 0; i < N; i++) {
			done += ios[i].count;
			ok += ios[i].count == 1 && ios[i].success;
		}
		if (done >= N) {
			break;
		}
	}
	CU_ASSERT(done == N);	/* each exactly once */
	CU_ASSERT(ok == N);
	close_ch(desc, ch);
	delete_ok("ut4");
	free(buf);
}

/* The file shrinks under the bdev: a read past the new end comes back short → -EIO. */
static void
test_short_read(void)
{
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	struct ut_io io = { 0 };
	uint8_t *in = abuf(4096, 0);

	create_ok("ut5", 65536, 4096);
	open_ch("ut5", &desc, &ch);
	CU_ASSERT_FATAL(truncate(g_path, 32768) == 0);
	CU_ASSERT(vd_bdev_read_blocks(desc, ch, in, 12, 1, ut_io_done, &io) == 0);
	CU_ASSERT(wait_for(&io.count, 1));
	CU_ASSERT(!io.success);
	CU_ASSERT(io.errnum == -EIO);
	close_ch(desc, ch);
	delete_ok("ut5");
	free(in);
}

/*
 * Delete while I/O is in flight: the consumer gets REMOVE, every I/O completes exactly once,
 * the bdev is destructed only after the consumer closed, and the file is closed then.
 */
static void
test_delete_under_io(void)
{
	enum { N = 64 };
	struct vd_bdev_desc *desc;
	struct vd_io_channel *ch;
	static struct ut_io ios[N];
	struct vd_bdev *bdev;
	uint8_t *buf = abuf(4096 * N, 0x77);
	int done, i, fd;

	bdev = create_ok("ut6", 1024 * 1024, 4096);
	fd = ((struct vd_bdev_file *)bdev->ctxt)->fd;	/* the file comes first in the disk */
	open_ch("ut6", &desc, &ch);
	memset(ios, 0, sizeof(ios));
	for (i = 0; i < N; i++) {
		CU_ASSERT_FATAL(vd_bdev_write_blocks(desc, ch, buf + 4096 * i, (uint64_t)i, 1,
						     ut_io_done, &ios[i]) == 0);
	}
	g_removed = 0;
	g_delete_count = 0;
	CU_ASSERT_FATAL(UT_DELETE("ut6", delete_done, NULL) == 0);
	CU_ASSERT(wait_for(&g_removed, 1));
	for (double deadline = now_sec() + UT_WAIT_SEC; now_sec() < deadline;) {
		ut_poll_all();
		for (done = 0, i = 0; i < N; i++) {
			done += ios[i].count;
		}
		if (done >= N) {
			break;
		}
	}
	for (i = 0; i < N; i++) {
		CU_ASSERT(ios[i].count == 1);
	}
	/* Still open by us: not destructed, file still open. */
	CU_ASSERT(g_delete_count == 0);
	CU_ASSERT(fcntl(fd, F_GETFD) != -1);
	close_ch(desc, ch);
	CU_ASSERT(wait_for(&g_delete_count, 1));
	CU_ASSERT(g_delete_rc == 0);
	CU_ASSERT(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
	free(buf);
}

static void
test_config_json(void)
{
	struct vd_bdev *bdev = create_ok("ut7", 65536, 4096);
	struct json_object *arr = json_object_new_array(), *e, *p, *v;

	bdev->fn_table->write_config_json(bdev, arr);
	CU_ASSERT_FATAL(json_object_array_length(arr) == 1);
	e = json_object_array_get_idx(arr, 0);
	CU_ASSERT(json_object_object_get_ex(e, "method", &v));
	CU_ASSERT(strcmp(json_object_get_string(v), UT_CREATE_METHOD) == 0);
	CU_ASSERT_FATAL(json_object_object_get_ex(e, "params", &p));
	CU_ASSERT(json_object_object_get_ex(p, "filename", &v) &&
		  strcmp(json_object_get_string(v), g_path) == 0);
	CU_ASSERT(json_object_object_get_ex(p, "block_size", &v) &&
		  json_object_get_int64(v) == 4096);
	json_object_put(arr);
	delete_ok("ut7");
}

static int
run_file_backend_tests(const char *suite_name, void (*extra)(CU_pSuite))
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite(suite_name, suite_init, suite_fini);
	CU_ADD_TEST(suite, test_probe);
	CU_ADD_TEST(suite, test_create_errors);
	CU_ADD_TEST(suite, test_write_read);
	CU_ADD_TEST(suite, test_flush_unmap_zeroes);
	CU_ADD_TEST(suite, test_queue_full);
	CU_ADD_TEST(suite, test_short_read);
	CU_ADD_TEST(suite, test_delete_under_io);
	CU_ADD_TEST(suite, test_config_json);
	if (extra != NULL) {
		extra(suite);
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return nfail != 0;
}

#endif /* FILE_BACKEND_UT_H */
