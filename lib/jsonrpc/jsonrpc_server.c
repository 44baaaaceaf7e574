/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * JSON-RPC 2.0 server over a non-blocking UNIX stream socket.
 *
 * Everything runs on the thread that polls the server; nothing here blocks.  One poll accepts
 * pending clients, reads what each client sent, dispatches complete requests to the handler,
 * writes queued answers and closes connections that are finished.
 *
 * Connection states (struct jsonrpc_conn):
 *   OPEN    reading and writing                    <- conn_add()
 *   DRAIN   no more reading; close once the output is flushed
 *           (parse error, oversized request)       <- conn_on_value()/conn_read()
 *   EOF     peer closed its write side: keep the connection until every dispatched request
 *           is answered and flushed (half-closing clients such as `nc -N` get their answers;
 *           a peer that closed completely makes the write fail with EPIPE)   <- conn_read()
 *   DEAD    I/O error, output overflow, or hang-up in the middle of a request  <- conn_*()
 *   CLOSED  fd closed, unlinked from the server                 <- conn_close() in poll/shutdown
 * Connections are closed only by server_poll() and server_free(), never from inside a handler
 * or an answer: answers only append to the output buffer, which poll flushes.  That keeps the
 * connection list stable while handlers run.
 *
 * Lifetime: a connection is reference counted: one reference for the server's list, one per
 * unanswered request and per unfinished batch, one while poll works on it.  A CLOSED connection
 * stays allocated until its last request is answered; those answers are dropped.
 *
 * A handler may call vd_jsonrpc_server_shutdown() (e.g. a "stop" method).  During poll this only
 * marks the server; poll stops dispatching and frees it before returning.
 */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vhostd/jsonrpc.h"
#include "vhostd/log.h"
#include "vhostd/util.h"
#include "jsonrpc_internal.h"

#define JSONRPC_LISTEN_BACKLOG		512
#define JSONRPC_MAX_CONNS		1024
#define JSONRPC_RECV_BUF		(64 * 1024)
/* Reads per connection per poll, so that one busy client cannot starve the others. */
#define JSONRPC_READS_PER_POLL		16
#define JSONRPC_ACCEPTS_PER_POLL	64
/* Stop reading from a client that does not read its answers... */
#define JSONRPC_OUT_PAUSE		(1024 * 1024)
/* ...and drop it when answers to requests already taken pile up beyond this. */
#define JSONRPC_OUT_LIMIT		(64 * 1024 * 1024)
/* Stop reading from a client with this many unanswered requests. */
#define JSONRPC_MAX_OUTSTANDING		4096

VD_LOG_FLAG_DEFINE(jsonrpc);

struct jsonrpc_conn {
	struct vd_jsonrpc_server	*server;	/* NULL once CLOSED */
	int				fd;
	uint32_t			refs;
	uint32_t			outstanding;	/* unanswered requests */
	bool				drain;
	bool				peer_eof;
	bool				dead;
	struct jsonrpc_stream		stream;
	struct jsonrpc_buf		out;
	TAILQ_ENTRY(jsonrpc_conn)	link;
};

struct jsonrpc_batch {
	struct jsonrpc_conn	*conn;		/* referenced */
	struct json_object	**slots;	/* responses, NULL for notifications */
	uint32_t		count;
	uint32_t		pending;	/* unanswered + 1 while being dispatched */
};

struct vd_jsonrpc_request {
	struct jsonrpc_conn	*conn;		/* referenced */
	struct jsonrpc_batch	*batch;		/* NULL for a single request */
	uint32_t		slot;
	struct json_object	*obj;		/* referenced; owns method, params, id */
	struct json_object	*id;
	bool			has_id;
};

struct vd_jsonrpc_server {
	int				lfd;
	vd_jsonrpc_handle_request_fn	handle;
	TAILQ_HEAD(, jsonrpc_conn)	conns;
	uint32_t			num_conns;
	bool				in_poll;
	bool				shutdown;
	char				*rbuf;
	struct vd_log_ratelimit		rl;
};

static void
conn_put(struct jsonrpc_conn *conn)
{
	assert(conn->refs > 0);
	if (--conn->refs > 0) {
		return;
	}
	assert(conn->server == NULL && conn->fd < 0);
	free(conn);
}

/* CLOSED: the socket and buffers go now, the struct when the last request is answered. */
static void
conn_close(struct jsonrpc_conn *conn)
{
	struct vd_jsonrpc_server *server = conn->server;

	VD_INFOLOG(jsonrpc, "closing connection fd %d (%u requests unanswered)\n", conn->fd,
		   conn->outstanding);
	TAILQ_REMOVE(&server->conns, conn, link);
	server->num_conns--;
	close(conn->fd);
	conn->fd = -1;
	conn->server = NULL;
	jsonrpc_stream_fini(&conn->stream);
	jsonrpc_buf_free(&conn->out);
	conn_put(conn);
}

/* Queue \p resp (taken) for sending; dropped if the connection is gone. */
static void
conn_send(struct jsonrpc_conn *conn, struct json_object *resp)
{
	int rc;

	if (resp == NULL) {
		return;
	}
	if (conn->server != NULL && !conn->dead) {
		rc = jsonrpc_buf_append_json(&conn->out, resp, JSONRPC_OUT_LIMIT);
		if (rc != 0) {
			VD_WARNLOG("JSON-RPC client fd %d: cannot queue answer (%s), dropping it\n",
				   conn->fd, strerror(-rc));
			conn->dead = true;
		}
	}
	json_object_put(resp);
}

static void
conn_send_error(struct jsonrpc_conn *conn, struct json_object *id, int code, const char *msg)
{
	struct json_object *resp = jsonrpc_make_error(id, code, msg);

	if (resp == NULL) {
		conn->dead = true;
		return;
	}
	conn_send(conn, resp);
}

/* Takes \p fd in every case. */
int
jsonrpc_server_add_conn(struct vd_jsonrpc_server *server, int fd)
{
	struct jsonrpc_conn *conn;

	conn = calloc(1, sizeof(*conn));
	if (conn == NULL || jsonrpc_stream_init(&conn->stream) != 0) {
		VD_ERRLOG("JSON-RPC: out of memory for a new connection\n");
		free(conn);
		close(fd);
		return -ENOMEM;
	}
	conn->server = server;
	conn->fd = fd;
	conn->refs = 1;
	TAILQ_INSERT_TAIL(&server->conns, conn, link);
	server->num_conns++;
	VD_INFOLOG(jsonrpc, "new connection fd %d\n", fd);
	return 0;
}

static void
batch_finish(struct jsonrpc_batch *batch)
{
	struct json_object *arr = NULL;
	uint32_t i;

	for (i = 0; i < batch->count; i++) {
		if (batch->slots[i] == NULL) {
			continue;
		}
		if (arr == NULL && (arr = json_object_new_array()) == NULL) {
			break;
		}
		if (json_object_array_add(arr, batch->slots[i]) != 0) {
			break;
		}
		batch->slots[i] = NULL;
	}
	if (i < batch->count) {
		/* Out of memory: a partial batch answer would mislead the client. */
		json_object_put(arr);
		arr = NULL;
		batch->conn->dead = true;
	}
	for (i = 0; i < batch->count; i++) {
		json_object_put(batch->slots[i]);
	}
	conn_send(batch->conn, arr);
	conn_put(batch->conn);
	free(batch->slots);
	free(batch);
}

static void
batch_put(struct jsonrpc_batch *batch)
{
	assert(batch->pending > 0);
	if (--batch->pending == 0) {
		batch_finish(batch);
	}
}

/* A single request's or batch element's answer: \p resp (taken) is NULL for notifications. */
static void
answer(struct jsonrpc_conn *conn, struct jsonrpc_batch *batch, uint32_t slot,
       struct json_object *resp)
{
	if (batch == NULL) {
		conn_send(conn, resp);
		return;
	}
	assert(slot < batch->count && batch->slots[slot] == NULL);
	batch->slots[slot] = resp;
	batch_put(batch);
}

static void
request_complete(struct vd_jsonrpc_request *req, struct json_object *resp)
{
	struct jsonrpc_conn *conn = req->conn;

	if (!req->has_id) {
		json_object_put(resp);	/* notification: nothing is sent */
		resp = NULL;
	} else if (resp == NULL && conn->server != NULL) {
		VD_ERRLOG("JSON-RPC: out of memory building an answer, dropping client\n");
		conn->dead = true;
	}
	answer(conn, req->batch, req->slot, resp);
	json_object_put(req->obj);
	free(req);
	assert(conn->outstanding > 0);
	conn->outstanding--;
	conn_put(conn);
}

/* Validate and dispatch one request object (\p obj borrowed). */
static void
handle_one(struct jsonrpc_conn *conn, struct json_object *obj, struct jsonrpc_batch *batch,
	   uint32_t slot)
{
	struct vd_jsonrpc_server *server = conn->server;
	struct vd_jsonrpc_request *req;
	struct jsonrpc_parsed p;

	if (jsonrpc_validate(obj, &p) != 0) {
		answer(conn, batch, slot, jsonrpc_make_error(p.id, VD_JSONRPC_ERROR_INVALID_REQUEST,
				"Invalid Request"));
		return;
	}
	req = calloc(1, sizeof(*req));
	if (req == NULL) {
		VD_ERRLOG("JSON-RPC: out of memory for request '%s'\n", p.method);
		answer(conn, batch, slot, jsonrpc_make_error(p.id, VD_JSONRPC_ERROR_INTERNAL_ERROR,
				"Internal error"));
		return;
	}
	req->conn = conn;
	req->batch = batch;
	req->slot = slot;
	req->obj = json_object_get(obj);
	req->id = p.id;
	req->has_id = p.has_id;
	conn->refs++;
	conn->outstanding++;
	VD_INFOLOG(jsonrpc, "fd %d: request '%s'\n", conn->fd, p.method);
	server->handle(req, p.method, p.params);
}

static void
handle_batch(struct jsonrpc_conn *conn, struct json_object *arr)
{
	struct jsonrpc_batch *batch;
	size_t i, n = json_object_array_length(arr);

	if (n == 0) {
		conn_send_error(conn, NULL, VD_JSONRPC_ERROR_INVALID_REQUEST, "Invalid Request");
		return;
	}
	batch = calloc(1, sizeof(*batch));
	if (batch == NULL || (batch->slots = calloc(n, sizeof(*batch->slots))) == NULL) {
		free(batch);
		conn_send_error(conn, NULL, VD_JSONRPC_ERROR_INTERNAL_ERROR, "Internal error");
		return;
	}
	batch->conn = conn;
	batch->count = (uint32_t)n;
	/* The extra count keeps the batch open until every element has been dispatched. */
	batch->pending = (uint32_t)n + 1;
	conn->refs++;
	for (i = 0; i < n; i++) {
		if (conn->server == NULL || conn->server->shutdown) {
			batch->pending--;	/* never dispatched: no answer */
			continue;
		}
		handle_one(conn, json_object_array_get_idx(arr, i), batch, (uint32_t)i);
	}
	batch_put(batch);
}

static bool
conn_on_value(void *ctx, struct json_object *value)
{
	struct jsonrpc_conn *conn = ctx;

	if (json_object_is_type(value, json_type_array)) {
		handle_batch(conn, value);
	} else {
		handle_one(conn, value, NULL, 0);
	}
	json_object_put(value);
	return !conn->server->shutdown && !conn->dead && !conn->drain;
}

static void
conn_feed(struct jsonrpc_conn *conn, const char *buf, size_t len)
{
	char msg[64];

	switch (jsonrpc_stream_feed(&conn->stream, buf, len, conn_on_value, conn)) {
	case JSONRPC_FEED_OK:
	case JSONRPC_FEED_STOPPED:
		break;
	case JSONRPC_FEED_PARSE_ERROR:
		VD_INFOLOG(jsonrpc, "fd %d: parse error, closing\n", conn->fd);
		conn_send_error(conn, NULL, VD_JSONRPC_ERROR_PARSE_ERROR, "Parse error");
		conn->drain = true;
		break;
	case JSONRPC_FEED_TOO_LARGE:
		VD_WARNLOG("JSON-RPC client fd %d: request larger than %d bytes, closing\n",
			   conn->fd, VD_JSONRPC_MAX_REQUEST);
		snprintf(msg, sizeof(msg), "request too large (limit %d bytes)",
			 VD_JSONRPC_MAX_REQUEST);
		conn_send_error(conn, NULL, VD_JSONRPC_ERROR_INVALID_REQUEST, msg);
		conn->drain = true;
		break;
	}
}

static bool
conn_may_read(const struct jsonrpc_conn *conn)
{
	return !conn->drain && !conn->peer_eof && !conn->dead &&
	       jsonrpc_buf_pending(&conn->out) < JSONRPC_OUT_PAUSE &&
	       conn->outstanding < JSONRPC_MAX_OUTSTANDING;
}

/* \return the number of reads that returned data. */
static int
conn_read(struct jsonrpc_conn *conn)
{
	struct vd_jsonrpc_server *server = conn->server;
	int i, events = 0;
	ssize_t n;

	for (i = 0; i < JSONRPC_READS_PER_POLL && conn_may_read(conn) && !server->shutdown; i++) {
		n = recv(conn->fd, server->rbuf, JSONRPC_RECV_BUF, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		}
		if (n < 0) {
			VD_INFOLOG(jsonrpc, "fd %d: recv: %s\n", conn->fd, strerror(errno));
			conn->dead = true;
			break;
		}
		if (n == 0) {
			/* A hang-up in the middle of a request: nobody will read an answer. */
			conn->peer_eof = true;
			conn->dead = jsonrpc_stream_has_partial(&conn->stream);
			break;
		}
		events++;
		conn_feed(conn, server->rbuf, (size_t)n);
	}
	return events;
}

static int
conn_flush(struct jsonrpc_conn *conn)
{
	int events = 0;
	ssize_t n;

	while (jsonrpc_buf_pending(&conn->out) > 0 && !conn->dead) {
		n = send(conn->fd, conn->out.data + conn->out.off, jsonrpc_buf_pending(&conn->out),
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		}
		if (n <= 0) {
			/* EPIPE, ECONNRESET: the client has gone. */
			VD_INFOLOG(jsonrpc, "fd %d: send: %s\n", conn->fd, strerror(errno));
			conn->dead = true;
			break;
		}
		jsonrpc_buf_consume(&conn->out, (size_t)n);
		events++;
	}
	return events;
}

static bool
conn_finished(const struct jsonrpc_conn *conn)
{
	bool flushed = jsonrpc_buf_pending(&conn->out) == 0;

	return conn->dead || (conn->drain && flushed) ||
	       (conn->peer_eof && conn->outstanding == 0 && flushed);
}

static int
server_accept(struct vd_jsonrpc_server *server)
{
	int i, fd, events = 0;

	for (i = 0; i < JSONRPC_ACCEPTS_PER_POLL && server->lfd >= 0; i++) {
		fd = accept4(server->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED) {
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    vd_log_ratelimit_ok(&server->rl, 1)) {
				VD_ERRLOG("JSON-RPC: accept: %s\n", strerror(errno));
			}
			break;
		}
		events++;
		if (server->num_conns >= JSONRPC_MAX_CONNS) {
			if (vd_log_ratelimit_ok(&server->rl, 1)) {
				VD_WARNLOG("JSON-RPC: %d connections open, refusing a new client\n",
					   JSONRPC_MAX_CONNS);
			}
			close(fd);
			continue;
		}
		jsonrpc_server_add_conn(server, fd);
	}
	return events;
}

static void
server_free(struct vd_jsonrpc_server *server)
{
	struct jsonrpc_conn *conn;

	while ((conn = TAILQ_FIRST(&server->conns)) != NULL) {
		/* Best effort, non-blocking: e.g. the answer to the request that stopped us. */
		conn_flush(conn);
		conn_close(conn);
	}
	if (server->lfd >= 0) {
		close(server->lfd);
	}
	free(server->rbuf);
	free(server);
}

int
vd_jsonrpc_server_poll(struct vd_jsonrpc_server *server)
{
	struct jsonrpc_conn *conn, *tmp;
	int events;

	assert(!server->in_poll);
	server->in_poll = true;
	events = server_accept(server);
	for (conn = TAILQ_FIRST(&server->conns); conn != NULL && !server->shutdown; conn = tmp) {
		/* Only conn itself can leave the list in this iteration. */
		tmp = TAILQ_NEXT(conn, link);
		conn->refs++;
		events += conn_read(conn);
		events += conn_flush(conn);
		if (conn_finished(conn)) {
			conn_close(conn);
			events++;
		}
		conn_put(conn);
	}
	server->in_poll = false;
	if (server->shutdown) {
		server_free(server);
	}
	return events;
}

struct vd_jsonrpc_server *
jsonrpc_server_alloc(vd_jsonrpc_handle_request_fn handle)
{
	struct vd_jsonrpc_server *server;

	server = calloc(1, sizeof(*server));
	if (server == NULL) {
		return NULL;
	}
	server->rbuf = malloc(JSONRPC_RECV_BUF);
	if (server->rbuf == NULL) {
		free(server);
		return NULL;
	}
	server->lfd = -1;
	server->handle = handle;
	TAILQ_INIT(&server->conns);
	return server;
}

static int
listen_socket(const char *path, int *out)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		VD_ERRLOG("JSON-RPC: socket: %s\n", strerror(errno));
		return rc;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		rc = -errno;
		VD_ERRLOG("JSON-RPC: cannot bind %s: %s\n", path, strerror(errno));
		goto err_close;
	}
	/* Explicit mode, independent of the umask: owner and group may connect. */
	if (chmod(path, 0660) != 0 || listen(fd, JSONRPC_LISTEN_BACKLOG) != 0) {
		rc = -errno;
		VD_ERRLOG("JSON-RPC: cannot listen on %s: %s\n", path, strerror(errno));
		goto err_unlink;
	}
	*out = fd;
	return 0;

err_unlink:
	unlink(path);
err_close:
	close(fd);
	return rc;
}

int
vd_jsonrpc_server_listen(const char *path, vd_jsonrpc_handle_request_fn handle,
			 struct vd_jsonrpc_server **pserver)
{
	struct sockaddr_un addr;
	struct vd_jsonrpc_server *server;
	int rc;

	vd_log_flag_register(&VD_LOG_FLAG(jsonrpc));
	if (path == NULL || path[0] == '\0' || handle == NULL || pserver == NULL) {
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(addr.sun_path)) {
		VD_ERRLOG("JSON-RPC: socket path too long (max %zu bytes): %s\n",
			  sizeof(addr.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	server = jsonrpc_server_alloc(handle);
	if (server == NULL) {
		return -ENOMEM;
	}
	rc = listen_socket(path, &server->lfd);
	if (rc != 0) {
		server_free(server);
		return rc;
	}
	VD_INFOLOG(jsonrpc, "listening on %s\n", path);
	*pserver = server;
	return 0;
}

void
vd_jsonrpc_server_shutdown(struct vd_jsonrpc_server **pserver)
{
	struct vd_jsonrpc_server *server;

	if (pserver == NULL || *pserver == NULL) {
		return;
	}
	server = *pserver;
	*pserver = NULL;
	server->shutdown = true;
	if (!server->in_poll) {
		server_free(server);
	}
}

void
vd_jsonrpc_send_result(struct vd_jsonrpc_request *req, struct json_object *result)
{
	if (!req->has_id) {
		json_object_put(result);
		request_complete(req, NULL);
		return;
	}
	request_complete(req, jsonrpc_make_result(req->id, result));
}

void
vd_jsonrpc_send_error(struct vd_jsonrpc_request *req, int code, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int rc;

	if (!req->has_id) {
		request_complete(req, NULL);
		return;
	}
	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	request_complete(req, jsonrpc_make_error(req->id, code, rc >= 0 ? msg : "Internal error"));
	if (rc >= 0) {
		free(msg);
	}
}

bool
vd_jsonrpc_request_is_notification(const struct vd_jsonrpc_request *req)
{
	return !req->has_id;
}
