/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Private interfaces of lib/jsonrpc.
 *
 * jsonrpc_stream.c is the socket-free half: byte stream -> JSON values (incremental json-c
 * tokener, size cap), JSON-RPC 2.0 request validation, response objects and the output byte
 * buffer.  jsonrpc_server.c owns sockets, connections, requests and batches.
 */
#ifndef VD_JSONRPC_INTERNAL_H
#define VD_JSONRPC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhostd/jsonrpc.h"

struct json_tokener;

/* Incremental framing of one connection's byte stream into JSON values. */
struct jsonrpc_stream {
	struct json_tokener	*tok;
	/* Bytes of the current, still incomplete value fed to tok (0 between values). */
	size_t			value_bytes;
	/* The start of a UTF-8 character cut by the end of the last read (json-c's UTF-8
	 * validation rejects a character split between two parse calls). */
	uint8_t			carry[4];
	size_t			carry_len;
};

enum jsonrpc_feed_status {
	JSONRPC_FEED_OK = 0,		/* all bytes consumed (a value may be pending) */
	JSONRPC_FEED_STOPPED,		/* value_fn asked to stop; the rest was discarded */
	JSONRPC_FEED_PARSE_ERROR,	/* not JSON: the stream cannot be resynchronised */
	JSONRPC_FEED_TOO_LARGE,		/* one value exceeds VD_JSONRPC_MAX_REQUEST bytes */
};

/*
 * Called for each complete value; \p value ownership passes to the callee (NULL is JSON null).
 * Return false to stop feeding.
 */
typedef bool (*jsonrpc_value_fn)(void *ctx, struct json_object *value);

int jsonrpc_stream_init(struct jsonrpc_stream *s);
void jsonrpc_stream_fini(struct jsonrpc_stream *s);
/* Feed \p len bytes; calls \p fn for each value completed by them, in order. */
enum jsonrpc_feed_status jsonrpc_stream_feed(struct jsonrpc_stream *s, const char *buf,
		size_t len, jsonrpc_value_fn fn, void *ctx);
/* Whether part of a value has been received (a hang-up now is "mid-request"). */
bool jsonrpc_stream_has_partial(const struct jsonrpc_stream *s);

/* A validated request; every pointer is borrowed from the request object. */
struct jsonrpc_parsed {
	const char		*method;
	struct json_object	*params;	/* object, array or NULL */
	struct json_object	*id;		/* NULL with has_id is JSON null */
	bool			has_id;		/* false: a notification */
};

/*
 * Validate \p obj as a JSON-RPC 2.0 request.  \return 0 or VD_JSONRPC_ERROR_INVALID_REQUEST;
 * on error out->id/has_id still hold the id if one of a valid type could be read.
 */
int jsonrpc_validate(struct json_object *obj, struct jsonrpc_parsed *out);
/* Response objects.  \p id is referenced (not taken); \p result is taken.  NULL on ENOMEM. */
struct json_object *jsonrpc_make_result(struct json_object *id, struct json_object *result);
struct json_object *jsonrpc_make_error(struct json_object *id, int code, const char *msg);

/* Output byte buffer: bytes [off, len) of data are still to be sent. */
struct jsonrpc_buf {
	char	*data;
	size_t	off;
	size_t	len;
	size_t	cap;
};

static inline size_t
jsonrpc_buf_pending(const struct jsonrpc_buf *b)
{
	return b->len - b->off;
}

/* Append \p n bytes.  \return 0, -ENOBUFS if pending bytes would exceed \p limit, -ENOMEM. */
int jsonrpc_buf_append(struct jsonrpc_buf *b, const void *p, size_t n, size_t limit);
void jsonrpc_buf_consume(struct jsonrpc_buf *b, size_t n);
void jsonrpc_buf_free(struct jsonrpc_buf *b);
/* Serialise \p resp (plain, one line, '\n'-terminated) into \p b.  Does not take \p resp. */
int jsonrpc_buf_append_json(struct jsonrpc_buf *b, struct json_object *resp, size_t limit);

/* Server without a listening socket (unit tests add socketpair ends). */
struct vd_jsonrpc_server *jsonrpc_server_alloc(vd_jsonrpc_handle_request_fn handle);
/* Add a connected, non-blocking socket; \p fd is taken in every case.  \return 0 or -ENOMEM. */
int jsonrpc_server_add_conn(struct vd_jsonrpc_server *server, int fd);

#endif /* VD_JSONRPC_INTERNAL_H */
