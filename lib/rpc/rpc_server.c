/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * The RPC server's life cycle: lock file, socket, poller.
 *
 * "<path>.lock" is flock()ed for the whole life of the server and holds our pid, so a second
 * vhostd given the same path can say who owns it.  With the lock held, an existing socket file
 * is either served by some other process (connect() succeeds: refuse) or stale (a crashed
 * vhostd: remove it).
 *
 * States: CLOSED (g_rpc.server == NULL, lock_fd < 0) -> vd_rpc_listen() -> LISTENING ->
 * vd_rpc_close() -> CLOSED.  Both calls are made on the thread that polls the server.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhostd/jsonrpc.h"
#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "vhostd/thread.h"
#include "rpc_internal.h"

/* RPC is control path: poll the socket every millisecond, not in the busy loop. */
#define RPC_POLL_PERIOD_US 1000

#define RPC_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

static struct {
	struct vd_jsonrpc_server	*server;
	struct vd_poller		*poller;
	int				lock_fd;
	char				path[RPC_PATH_MAX];
	char				lock_path[RPC_PATH_MAX + sizeof(".lock")];
} g_rpc = { .lock_fd = -1 };

static int
rpc_poll(void *arg)
{
	if (g_rpc.server == NULL) {
		return VD_POLLER_IDLE;
	}
	return vd_jsonrpc_server_poll(g_rpc.server) > 0 ? VD_POLLER_BUSY : VD_POLLER_IDLE;
}

static void
log_lock_owner(int fd, const char *path)
{
	char buf[32] = "";
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	VD_ERRLOG("RPC socket %s is in use by another vhostd (pid %s)\n", path,
		  buf[0] != '\0' ? buf : "unknown");
}

/* Whether \p fd is still the file at \p lock_path (a closing vhostd unlinks it). */
static bool
lock_is_current(int fd, const char *lock_path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(lock_path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* \return 0 with the lock held in *out, or a negative errno (logged). */
static int
lock_acquire(const char *lock_path, const char *path, int *out)
{
	int fd, rc, tries = 0;

retry:

	fd = open(lock_path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		VD_ERRLOG("cannot open RPC lock file %s: %s\n", lock_path, strerror(errno));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
		if (rc == -EADDRINUSE) {
			log_lock_owner(fd, path);
		} else {
			VD_ERRLOG("cannot lock %s: %s\n", lock_path, strerror(errno));
		}
		close(fd);
		return rc;
	}
	if (!lock_is_current(fd, lock_path) && ++tries < 3) {
		/* We locked a file its previous owner had just removed: take the new one. */
		close(fd);
		goto retry;
	}
	*out = fd;
	return 0;
}

/* With the lock held: refuse a live socket, remove a stale one.  \return 0 or -errno. */
static int
socket_claim(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0) {
		return errno == ENOENT ? 0 : -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		VD_ERRLOG("RPC socket path %s exists and is not a socket\n", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		return -errno;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	/* EAGAIN: a live listener whose backlog is full. */
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		close(fd);
		VD_ERRLOG("RPC socket %s is in use by another process\n", path);
		return -EADDRINUSE;
	}
	close(fd);
	VD_NOTICELOG("removing stale RPC socket %s\n", path);
	if (unlink(path) != 0 && errno != ENOENT) {
		rc = -errno;
		VD_ERRLOG("cannot remove stale RPC socket %s: %s\n", path, strerror(errno));
		return rc;
	}
	return 0;
}

static void
lock_write_pid(int fd)
{
	char buf[32];
	int len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
		VD_WARNLOG("cannot write pid to the RPC lock file: %s\n", strerror(errno));
	}
}

int
vd_rpc_listen(const char *path)
{
	int rc;

	vd_log_flag_register(&VD_LOG_FLAG(rpc));
	if (g_rpc.server != NULL) {
		VD_ERRLOG("RPC server already listening on %s\n", g_rpc.path);
		return -EBUSY;
	}
	if (path == NULL || path[0] == '\0') {
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(g_rpc.path)) {
		VD_ERRLOG("RPC socket path too long (max %zu bytes): %s\n", sizeof(g_rpc.path) - 1,
			  path);
		return -ENAMETOOLONG;
	}
	snprintf(g_rpc.path, sizeof(g_rpc.path), "%s", path);
	snprintf(g_rpc.lock_path, sizeof(g_rpc.lock_path), "%s.lock", path);
	rc = lock_acquire(g_rpc.lock_path, path, &g_rpc.lock_fd);
	if (rc != 0) {
		return rc;
	}
	rc = socket_claim(path);
	if (rc != 0) {
		goto err_unlock;
	}
	lock_write_pid(g_rpc.lock_fd);
	rc = vd_jsonrpc_server_listen(path, rpc_handle_jsonrpc, &g_rpc.server);
	if (rc != 0) {
		goto err_unlock;
	}
	g_rpc.poller = vd_poller_register(rpc_poll, NULL, RPC_POLL_PERIOD_US, "rpc_poll");
	if (g_rpc.poller == NULL) {
		VD_ERRLOG("cannot register the RPC poller (no current thread?)\n");
		rc = -ENOMEM;
		goto err_shutdown;
	}
	VD_NOTICELOG("RPC server listening on %s\n", path);
	return 0;

err_shutdown:
	vd_jsonrpc_server_shutdown(&g_rpc.server);
	unlink(path);
err_unlock:
	unlink(g_rpc.lock_path);
	close(g_rpc.lock_fd);
	g_rpc.lock_fd = -1;
	return rc;
}

void
vd_rpc_close(void)
{
	if (g_rpc.lock_fd < 0) {
		return;
	}
	vd_poller_unregister(&g_rpc.poller);
	vd_jsonrpc_server_shutdown(&g_rpc.server);
	unlink(g_rpc.path);
	/* Unlink before unlocking so a new vhostd never locks a file about to vanish. */
	unlink(g_rpc.lock_path);
	close(g_rpc.lock_fd);
	g_rpc.lock_fd = -1;
	VD_INFOLOG(rpc, "RPC server on %s closed\n", g_rpc.path);
}
