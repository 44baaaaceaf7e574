/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * JSON-RPC 2.0 server transport over a UNIX stream socket (json-c).
 *
 * Non-blocking: vd_jsonrpc_server_poll() accepts, reads, parses and writes without ever blocking
 * and is called from a poller of the thread that created the server; every callback runs there.
 * Many clients at once; requests may be split across reads, several may arrive in one read, and
 * batches (arrays) are answered with one array.  A request larger than VD_JSONRPC_MAX_REQUEST
 * gets a clear error and the connection is closed.  A request's answer may be sent later
 * (asynchronous handlers); if its client has gone, the answer is dropped.
 *
 * Details: answers are queued and written by the next vd_jsonrpc_server_poll() (never from
 * inside a send call), one JSON value per line ('\n'-terminated).  A parse error or an oversized
 * request is answered with id null and the connection is then closed.  A client that half-closes
 * its socket (shutdown(SHUT_WR)) still receives the answers to the requests it sent; a hang-up
 * in the middle of a request closes the connection at once.  Request ids are echoed with their
 * JSON type and text; integers beyond the 64-bit range are clamped by json-c.
 */
#ifndef VHOSTD_JSONRPC_H
#define VHOSTD_JSONRPC_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

#define VD_JSONRPC_ERROR_PARSE_ERROR		-32700
#define VD_JSONRPC_ERROR_INVALID_REQUEST	-32600
#define VD_JSONRPC_ERROR_METHOD_NOT_FOUND	-32601
#define VD_JSONRPC_ERROR_INVALID_PARAMS		-32602
#define VD_JSONRPC_ERROR_INTERNAL_ERROR		-32603

/** Largest request accepted on a connection (bytes of one JSON value). */
#define VD_JSONRPC_MAX_REQUEST	(1024 * 1024)

struct vd_jsonrpc_server;
struct vd_jsonrpc_request;

/**
 * Called for each valid request.  \p method is borrowed for the call; \p params (object, array or
 * NULL) is borrowed until the request is answered.  The handler must eventually answer with
 * vd_jsonrpc_send_result() or vd_jsonrpc_send_error() exactly once (also for notifications,
 * whose answer is then not sent).
 */
typedef void (*vd_jsonrpc_handle_request_fn)(struct vd_jsonrpc_request *req, const char *method,
		struct json_object *params);

/**
 * Listen on \p path (must not exist; the caller removes stale sockets).  The socket file gets
 * mode 0660 whatever the umask; it is not removed by vd_jsonrpc_server_shutdown() (the caller
 * unlinks it).  \return 0 and *server, or -EINVAL, -ENAMETOOLONG (longer than sun_path),
 * -EADDRINUSE (path exists), -ENOMEM or another negative errno from socket/bind/listen.
 */
int vd_jsonrpc_server_listen(const char *path, vd_jsonrpc_handle_request_fn handle,
			     struct vd_jsonrpc_server **server);
/** Accept, read, dispatch, write.  \return number of events handled (0 = idle). */
int vd_jsonrpc_server_poll(struct vd_jsonrpc_server *server);
/** Close the listening socket and every connection (queued answers get one non-blocking
 *  write first); pending requests stay valid until answered (their answers are dropped).
 *  Clears the caller's pointer.  May be called from a request handler: the server is then
 *  freed when the current vd_jsonrpc_server_poll() returns. */
void vd_jsonrpc_server_shutdown(struct vd_jsonrpc_server **server);

/** Answer with \p result (ownership taken; NULL sends JSON null).  \p req is freed: answering
 *  twice is a use after free (lib/rpc guards against it). */
void vd_jsonrpc_send_result(struct vd_jsonrpc_request *req, struct json_object *result);
/** Answer with an error object {code, message}. */
void vd_jsonrpc_send_error(struct vd_jsonrpc_request *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** Whether the request is a notification (no id): its answer is not sent. */
bool vd_jsonrpc_request_is_notification(const struct vd_jsonrpc_request *req);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_JSONRPC_H */
