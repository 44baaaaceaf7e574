/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of the RPC server life cycle: lock file, stale and live sockets, the poller, and a
 * round trip of rpc_get_methods over the real socket in a temporary directory.
 */

#include <CUnit/Basic.h>

#include "rpc/rpc_server.c"
#include "ut_thread.h"

static char g_dir[] = "/tmp/vd_rpc_ut.XXXXXX";
static char g_path[128];
static char g_lock[140];

static int
bound_socket(const char *path, bool do_listen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memcpy(addr.sun_path, path, strlen(path) + 1);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	if (do_listen) {
		CU_ASSERT_FATAL(listen(fd, 4) == 0);
	}
	return fd;
}

static int
client_connect(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	memcpy(addr.sun_path, g_path, strlen(g_path) + 1);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	return fd;
}

static void
test_listen_roundtrip_close(void)
{
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"rpc_get_methods\",\"id\":1}";
	char buf[512] = "", pid[32];
	struct stat st;
	ssize_t n = -1;
	int cfd, i, lfd;

	CU_ASSERT_FATAL(vd_rpc_listen(g_path) == 0);
	CU_ASSERT(stat(g_path, &st) == 0 && S_ISSOCK(st.st_mode));
	CU_ASSERT(stat(g_lock, &st) == 0 && (st.st_mode & 0777) == 0600);
	lfd = open(g_lock, O_RDONLY);
	n = read(lfd, pid, sizeof(pid) - 1);
	close(lfd);
	CU_ASSERT(n > 0 && strtol(pid, NULL, 10) == getpid());
	n = -1;
	CU_ASSERT(vd_rpc_listen(g_path) == -EBUSY);

	cfd = client_connect();
	CU_ASSERT(write(cfd, req, strlen(req)) == (ssize_t)strlen(req));
	/* The poller is timed: it runs once its period has passed on the fake clock. */
	for (i = 0; i < 10 && n <= 0; i++) {
		ut_time_advance_us(RPC_POLL_PERIOD_US);
		ut_poll_thread(0);
		n = read(cfd, buf, sizeof(buf) - 1);
	}
	CU_ASSERT_STRING_EQUAL(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,"
			       "\"result\":[\"rpc_get_methods\"]}\n");
	close(cfd);

	vd_rpc_close();
	CU_ASSERT(access(g_path, F_OK) != 0 && access(g_lock, F_OK) != 0);
	vd_rpc_close();	/* idempotent */
}

static void
test_lock_held_by_other(void)
{
	int fd;

	/* Another "vhostd": a separate open file description holding the lock, pid 4242. */
	fd = open(g_lock, O_CREAT | O_RDWR, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, "4242\n", 5) == 5);
	CU_ASSERT_FATAL(flock(fd, LOCK_EX | LOCK_NB) == 0);
	CU_ASSERT(vd_rpc_listen(g_path) == -EADDRINUSE);
	/* Its files are left alone. */
	CU_ASSERT(access(g_lock, F_OK) == 0);
	close(fd);
	unlink(g_lock);
}

static void
test_live_and_stale_sockets(void)
{
	int fd;

	/* Live listener without a lock (some other program): refused, left alone. */
	fd = bound_socket(g_path, true);
	CU_ASSERT(vd_rpc_listen(g_path) == -EADDRINUSE);
	CU_ASSERT(access(g_path, F_OK) == 0);
	CU_ASSERT(access(g_lock, F_OK) != 0);
	close(fd);
	/* The listener died, its file stayed: stale, removed, and we listen. */
	CU_ASSERT(vd_rpc_listen(g_path) == 0);
	vd_rpc_close();

	/* Not a socket at all. */
	fd = open(g_path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	CU_ASSERT(vd_rpc_listen(g_path) == -EEXIST);
	CU_ASSERT(access(g_path, F_OK) == 0);
	unlink(g_path);
}

static void
test_bad_paths(void)
{
	char path[200];

	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	CU_ASSERT(vd_rpc_listen(path) == -ENAMETOOLONG);
	CU_ASSERT(vd_rpc_listen("") == -EINVAL);
	CU_ASSERT(vd_rpc_listen(NULL) == -EINVAL);
	CU_ASSERT(vd_rpc_listen("/nonexistent-dir/x/rpc.sock") == -ENOENT);
}

static void
test_no_thread(void)
{
	vd_set_thread(NULL);
	CU_ASSERT(vd_rpc_listen(g_path) == -ENOMEM);
	CU_ASSERT(access(g_path, F_OK) != 0 && access(g_lock, F_OK) != 0);
	ut_set_thread(0);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS || ut_thread_init(1) != 0 ||
	    mkdtemp(g_dir) == NULL) {
		return 1;
	}
	snprintf(g_path, sizeof(g_path), "%s/rpc.sock", g_dir);
	snprintf(g_lock, sizeof(g_lock), "%s.lock", g_path);
	vd_rpc_rpc_register();
	suite = CU_add_suite("rpc_server", NULL, NULL);
	CU_ADD_TEST(suite, test_listen_roundtrip_close);
	CU_ADD_TEST(suite, test_lock_held_by_other);
	CU_ADD_TEST(suite, test_live_and_stale_sockets);
	CU_ADD_TEST(suite, test_bad_paths);
	CU_ADD_TEST(suite, test_no_thread);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	vd_rpc_unregister_all();
	ut_thread_fini();
	rmdir(g_dir);
	return nfail != 0;
}
