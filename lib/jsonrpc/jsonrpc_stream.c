/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * JSON-RPC 2.0 framing and validation, without sockets.
 *
 * A connection's bytes go through one incremental json-c tokener (jsonrpc_stream).  Values may
 * be split over any number of reads and several may arrive in one read; whitespace between
 * values is skipped here, so it never counts towards the size cap.
 *
 * Invariants:
 *  - s->value_bytes is 0 exactly when the tokener holds no partial value; then the tokener is
 *    in its reset state.
 *  - At most VD_JSONRPC_MAX_REQUEST + 1 bytes of one value are ever handed to the tokener: the
 *    feed is clipped so that a hostile client cannot make the tokener buffer more than that.
 *  - After PARSE_ERROR or TOO_LARGE the stream is reset, but the caller must close the
 *    connection: the remaining bytes cannot be re-synchronised to a value boundary.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/util.h"
#include "jsonrpc_internal.h"

/* Nesting deeper than this is a parse error; RPC parameters are shallow. */
#define JSONRPC_MAX_DEPTH 64

int
jsonrpc_stream_init(struct jsonrpc_stream *s)
{
	memset(s, 0, sizeof(*s));
	s->tok = json_tokener_new_ex(JSONRPC_MAX_DEPTH);
	if (s->tok == NULL) {
		return -ENOMEM;
	}
	json_tokener_set_flags(s->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
			       JSON_TOKENER_VALIDATE_UTF8);
	return 0;
}

void
jsonrpc_stream_fini(struct jsonrpc_stream *s)
{
	if (s->tok != NULL) {
		json_tokener_free(s->tok);
		s->tok = NULL;
	}
	s->value_bytes = 0;
}

bool
jsonrpc_stream_has_partial(const struct jsonrpc_stream *s)
{
	return s->value_bytes != 0 || s->carry_len != 0;
}

static size_t
skip_ws(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' && buf[i] != '\n') {
			break;
		}
	}
	return i;
}

static enum jsonrpc_feed_status
stream_fail(struct jsonrpc_stream *s, enum jsonrpc_feed_status status)
{
	json_tokener_reset(s->tok);
	s->value_bytes = 0;
	s->carry_len = 0;
	return status;
}

static enum jsonrpc_feed_status
feed_bytes(struct jsonrpc_stream *s, const char *buf, size_t len, jsonrpc_value_fn fn, void *ctx)
{
	struct json_object *value;
	enum json_tokener_error err;
	size_t off = 0, chunk, end;

	while (off < len) {
		if (s->value_bytes == 0) {
			off += skip_ws(buf + off, len - off);
			if (off == len) {
				break;
			}
		}
		chunk = VD_MIN(len - off, (size_t)VD_JSONRPC_MAX_REQUEST + 1 - s->value_bytes);
		value = json_tokener_parse_ex(s->tok, buf + off, (int)chunk);
		err = json_tokener_get_error(s->tok);
		if (err == json_tokener_continue) {
			s->value_bytes += chunk;
			off += chunk;
			if (s->value_bytes > VD_JSONRPC_MAX_REQUEST) {
				return stream_fail(s, JSONRPC_FEED_TOO_LARGE);
			}
			continue;
		}
		end = json_tokener_get_parse_end(s->tok);
		if (err != json_tokener_success || end == 0 || end > chunk) {
			json_object_put(value);
			return stream_fail(s, JSONRPC_FEED_PARSE_ERROR);
		}
		if (s->value_bytes + end > VD_JSONRPC_MAX_REQUEST) {
			json_object_put(value);
			return stream_fail(s, JSONRPC_FEED_TOO_LARGE);
		}
		off += end;
		s->value_bytes = 0;
		json_tokener_reset(s->tok);
		if (!fn(ctx, value)) {
			return JSONRPC_FEED_STOPPED;
		}
	}
	return JSONRPC_FEED_OK;
}

/* Length of the UTF-8 sequence a lead byte starts (1 for ASCII and for invalid bytes). */
static size_t
utf8_seq_len(uint8_t lead)
{
	if (lead >= 0xf0 && lead <= 0xf7) {
		return 4;
	}
	if (lead >= 0xe0) {
		return lead <= 0xef ? 3 : 1;
	}
	return lead >= 0xc0 ? 2 : 1;
}

/* Bytes at the end of buf that start a UTF-8 character not complete in buf. */
static size_t
utf8_incomplete_tail(const char *buf, size_t len)
{
	size_t i;

	for (i = 1; i <= 3 && i <= len; i++) {
		uint8_t b = (uint8_t)buf[len - i];

		if ((b & 0xc0) == 0x80) {
			continue;
		}
		return utf8_seq_len(b) > i ? i : 0;
	}
	return 0;
}

enum jsonrpc_feed_status
jsonrpc_stream_feed(struct jsonrpc_stream *s, const char *buf, size_t len, jsonrpc_value_fn fn,
		    void *ctx)
{
	enum jsonrpc_feed_status st;
	uint8_t tmp[sizeof(s->carry)];
	size_t need, take, hold, n;

	if (s->carry_len > 0) {
		need = utf8_seq_len(s->carry[0]);
		take = VD_MIN(len, need - s->carry_len);
		memcpy(s->carry + s->carry_len, buf, take);
		s->carry_len += take;
		buf += take;
		len -= take;
		if (s->carry_len < need) {
			return JSONRPC_FEED_OK;
		}
		n = s->carry_len;
		memcpy(tmp, s->carry, n);
		s->carry_len = 0;
		st = feed_bytes(s, (const char *)tmp, n, fn, ctx);
		if (st != JSONRPC_FEED_OK) {
			return st;
		}
	}
	hold = utf8_incomplete_tail(buf, len);
	st = feed_bytes(s, buf, len - hold, fn, ctx);
	if (st == JSONRPC_FEED_OK && hold > 0) {
		memcpy(s->carry, buf + len - hold, hold);
		s->carry_len = hold;
	}
	return st;
}

static bool
id_type_ok(struct json_object *id)
{
	switch (json_object_get_type(id)) {
	case json_type_null:
	case json_type_string:
	case json_type_int:
	case json_type_double:
		return true;
	default:
		return false;
	}
}

int
jsonrpc_validate(struct json_object *obj, struct jsonrpc_parsed *out)
{
	struct json_object *v;

	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(obj, json_type_object)) {
		return VD_JSONRPC_ERROR_INVALID_REQUEST;
	}
	if (json_object_object_get_ex(obj, "id", &v)) {
		if (!id_type_ok(v)) {
			return VD_JSONRPC_ERROR_INVALID_REQUEST;
		}
		out->id = v;
		out->has_id = true;
	}
	if (!json_object_object_get_ex(obj, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), "2.0")) {
		return VD_JSONRPC_ERROR_INVALID_REQUEST;
	}
	if (!json_object_object_get_ex(obj, "method", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		return VD_JSONRPC_ERROR_INVALID_REQUEST;
	}
	out->method = json_object_get_string(v);
	if (json_object_object_get_ex(obj, "params", &v)) {
		/* JSON-RPC 2.0: params, when present, is structured (null is not allowed). */
		if (!json_object_is_type(v, json_type_object) &&
		    !json_object_is_type(v, json_type_array)) {
			return VD_JSONRPC_ERROR_INVALID_REQUEST;
		}
		out->params = v;
	}
	return 0;
}

static struct json_object *
response_new(struct json_object *id)
{
	struct json_object *resp, *ver;

	resp = json_object_new_object();
	ver = json_object_new_string("2.0");
	if (resp == NULL || ver == NULL || json_object_object_add(resp, "jsonrpc", ver) != 0) {
		json_object_put(ver);
		json_object_put(resp);
		return NULL;
	}
	/* A NULL id serialises as JSON null. */
	if (json_object_object_add(resp, "id", json_object_get(id)) != 0) {
		json_object_put(id);
		json_object_put(resp);
		return NULL;
	}
	return resp;
}

struct json_object *
jsonrpc_make_result(struct json_object *id, struct json_object *result)
{
	struct json_object *resp;

	resp = response_new(id);
	if (resp == NULL || json_object_object_add(resp, "result", result) != 0) {
		json_object_put(result);
		json_object_put(resp);
		return NULL;
	}
	return resp;
}

struct json_object *
jsonrpc_make_error(struct json_object *id, int code, const char *msg)
{
	struct json_object *resp, *err, *jcode, *jmsg;

	err = json_object_new_object();
	jcode = json_object_new_int(code);
	jmsg = json_object_new_string(msg != NULL ? msg : "");
	if (err == NULL || jcode == NULL || jmsg == NULL) {
		goto err_free;
	}
	if (json_object_object_add(err, "code", jcode) != 0) {
		goto err_free;
	}
	jcode = NULL;
	if (json_object_object_add(err, "message", jmsg) != 0) {
		goto err_free;
	}
	jmsg = NULL;
	resp = response_new(id);
	if (resp == NULL || json_object_object_add(resp, "error", err) != 0) {
		json_object_put(resp);
		goto err_free;
	}
	return resp;

err_free:
	json_object_put(jmsg);
	json_object_put(jcode);
	json_object_put(err);
	return NULL;
}

int
jsonrpc_buf_append(struct jsonrpc_buf *b, const void *p, size_t n, size_t limit)
{
	size_t need, cap;
	char *data;

	if (n > limit || jsonrpc_buf_pending(b) > limit - n) {
		return -ENOBUFS;
	}
	if (b->off > 0 && b->off == b->len) {
		b->off = b->len = 0;
	}
	if (b->cap - b->len < n && b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	need = b->len + n;
	if (need > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < need) {
			cap *= 2;
		}
		data = realloc(b->data, cap);
		if (data == NULL) {
			return -ENOMEM;
		}
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void
jsonrpc_buf_consume(struct jsonrpc_buf *b, size_t n)
{
	b->off += VD_MIN(n, jsonrpc_buf_pending(b));
	if (b->off == b->len) {
		b->off = b->len = 0;
	}
}

void
jsonrpc_buf_free(struct jsonrpc_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int
jsonrpc_buf_append_json(struct jsonrpc_buf *b, struct json_object *resp, size_t limit)
{
	const char *text;
	size_t len = 0;
	int rc;

	text = json_object_to_json_string_length(resp, JSON_C_TO_STRING_PLAIN |
			JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (text == NULL) {
		return -ENOMEM;
	}
	if (len + 1 > limit || jsonrpc_buf_pending(b) > limit - len - 1) {
		return -ENOBUFS;
	}
	rc = jsonrpc_buf_append(b, text, len, limit);
	if (rc == 0) {
		rc = jsonrpc_buf_append(b, "\n", 1, limit);
	}
	return rc;
}
