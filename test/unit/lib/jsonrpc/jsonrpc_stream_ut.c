/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of the socket-free half of lib/jsonrpc: framing a byte stream into JSON values,
 * the size cap, request validation, response objects and the output buffer.
 */

#include <CUnit/Basic.h>

#include "jsonrpc/jsonrpc_stream.c"

#define MAX_VALUES 16

static struct {
	char	*text[MAX_VALUES];	/* serialised values, "null" for JSON null */
	int	count;
	int	stop_after;		/* 0 = never stop */
} g_seen;

static void
seen_reset(void)
{
	int i;

	for (i = 0; i < g_seen.count; i++) {
		free(g_seen.text[i]);
	}
	memset(&g_seen, 0, sizeof(g_seen));
}

static bool
collect(void *ctx, struct json_object *value)
{
	if (g_seen.count < MAX_VALUES) {
		g_seen.text[g_seen.count++] = strdup(value == NULL ? "null" :
				json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
	}
	json_object_put(value);
	return g_seen.stop_after == 0 || g_seen.count < g_seen.stop_after;
}

static enum jsonrpc_feed_status
feed_str(struct jsonrpc_stream *s, const char *str)
{
	return jsonrpc_stream_feed(s, str, strlen(str), collect, NULL);
}

static void
test_split_byte_by_byte(void)
{
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"m\","
			  "\"params\":{\"a\":[1,2]},\"id\":7}";
	struct jsonrpc_stream s;
	size_t i;

	seen_reset();
	CU_ASSERT_FATAL(jsonrpc_stream_init(&s) == 0);
	for (i = 0; i < strlen(req); i++) {
		CU_ASSERT(jsonrpc_stream_feed(&s, req + i, 1, collect, NULL) == JSONRPC_FEED_OK);
		if (i + 1 < strlen(req)) {
			CU_ASSERT(g_seen.count == 0);
			CU_ASSERT(jsonrpc_stream_has_partial(&s));
		}
	}
	CU_ASSERT_FATAL(g_seen.count == 1);
	CU_ASSERT_STRING_EQUAL(g_seen.text[0], req);
	CU_ASSERT(!jsonrpc_stream_has_partial(&s));
	jsonrpc_stream_fini(&s);
	seen_reset();
}

/* Multi-byte UTF-8 characters cut at every possible point still parse; invalid UTF-8 fails. */
static void
test_utf8_split(void)
{
	/* 2-, 3- and 4-byte characters: e-acute, euro sign, U+1F600 */
	const char *req = "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]";
	struct jsonrpc_stream s;
	size_t cut, len = strlen(req);

	for (cut = 1; cut < len; cut++) {
		seen_reset();
		CU_ASSERT_FATAL(jsonrpc_stream_init(&s) == 0);
		CU_ASSERT(jsonrpc_stream_feed(&s, req, cut, collect, NULL) == JSONRPC_FEED_OK);
		CU_ASSERT(jsonrpc_stream_feed(&s, req + cut, len - cut, collect, NULL) ==
			  JSONRPC_FEED_OK);
		CU_ASSERT(g_seen.count == 1);
		CU_ASSERT(!jsonrpc_stream_has_partial(&s));
		jsonrpc_stream_fini(&s);
	}
	/* byte by byte */
	seen_reset();
	CU_ASSERT_FATAL(jsonrpc_stream_init(&s) == 0);
	for (cut = 0; cut < len; cut++) {
		CU_ASSERT(jsonrpc_stream_feed(&s, req + cut, 1, collect, NULL) == JSONRPC_FEED_OK);
	}
	CU_ASSERT(g_seen.count == 1);
	jsonrpc_stream_fini(&s);
	/* a lead byte followed by a non-continuation byte is still rejected */
	seen_reset();
	CU_ASSERT_FATAL(jsonrpc_stream_init(&s) == 0);
	CU_ASSERT(feed_str(&s, "[\"\xc3") == JSONRPC_FEED_OK);
	CU_ASSERT(feed_str(&s, "A\"]") == JSONRPC_FEED_PARSE_ERROR);
	CU_ASSERT(g_seen.count == 0);
	jsonrpc_stream_fini(&s);
	seen_reset();
}

static void
test_many_values_one_buffer(void)
{
	struct jsonrpc_stream s;

	seen_reset();
	CU_ASSERT_FATAL(jsonrpc_stream_init(&s) == 0);
	CU_ASSERT(feed_str(&s, "{\"a\":1}{\"b\":2}\n\r\t [3,4]  null \"x\" {\"c\"") ==
		  JSONRPC_FEED_OK);
	CU_ASSERT_FATAL(g_seen.count == 5);
	CU_ASSERT_STRING_EQUAL(g_seen.text[0], "{\"a\":1}");
	CU_ASSERT_STRING_EQUAL(g_seen.text[1], "{\"b\":2}");
	CU_ASSERT_STRING_EQUAL(g_seen.text[2], "[3,4]");
	CU_ASSERT_STRING_EQUAL(g_seen.text[3], "null");
	CU_ASSERT_STRING_EQUAL(g_seen.text[4], "\"x\"");
	CU_ASSERT(jsonrpc_stream_has_partial(&s));
	CU_ASSERT(feed_str(&s, ":3}") == JSONRPC_FEED_OK);
	CU_ASSERT_FATAL(g_seen.count == 6);
	CU_ASSERT_STRING_EQUAL(g_seen.text[5], "{\"c\":3}");
	jsonrpc_stream_fini(&s);
	seen_reset();
}

static void
test_stop(void)
{
	struct jsonrpc_stream s;

	seen_reset();
	g_seen.stop_after = 1;
	CU_ASSERT_FATAL(jsonrpc_stream_init(&s) == 0);
	CU_ASSERT(feed_str(&s, "{}{}{}") == JSONRPC_FEED_STOPPED);
	CU_ASSERT(g_seen.count == 1);
	jsonrpc_stream_fini(&s);
	seen_reset();
}

static void
test_parse_errors(void)
{
	static const char *const bad[] = {
		"{\"a\" 1}", "]", "{\"a\":}", "[1,2,]", "/* comment */ {}", "{\"a\":1,}",
		"\x01", "{\"a\":\"\xff\xfe\"}",
	};
	static const char nul[] = "{\"a\":\0}";
	struct jsonrpc_stream s;
	size_t i;

	seen_reset();
	CU_ASSERT_FATAL(jsonrpc_stream_init(&s) == 0);
	for (i = 0; i < VD_COUNTOF(bad); i++) {
		CU_ASSERT(feed_str(&s, bad[i]) == JSONRPC_FEED_PARSE_ERROR);
		CU_ASSERT(!jsonrpc_stream_has_partial(&s));
	}
	CU_ASSERT(jsonrpc_stream_feed(&s, nul, sizeof(nul) - 1, collect, NULL) ==
		  JSONRPC_FEED_PARSE_ERROR);
	/* Values before the error are still delivered. */
	CU_ASSERT(feed_str(&s, "{\"ok\":1} }") == JSONRPC_FEED_PARSE_ERROR);
	CU_ASSERT(g_seen.count == 1);
	/* After a reset the stream parses again. */
	CU_ASSERT(feed_str(&s, "{}") == JSONRPC_FEED_OK);
	CU_ASSERT(g_seen.count == 2);
	jsonrpc_stream_fini(&s);
	seen_reset();
}

/* A JSON array holding one string, \p total bytes long in all. */
static char *
make_value(size_t total)
{
	char *v = malloc(total + 1);

	memset(v, 'a', total);
	memcpy(v, "[\"", 2);
	memcpy(v + total - 2, "\"]", 2);
	v[total] = '\0';
	return v;
}

static void
feed_chunks(struct jsonrpc_stream *s, const char *v, size_t len, enum jsonrpc_feed_status *last)
{
	size_t off, n;

	*last = JSONRPC_FEED_OK;
	for (off = 0; off < len && *last == JSONRPC_FEED_OK; off += n) {
		n = VD_MIN((size_t)65536, len - off);
		*last = jsonrpc_stream_feed(s, v + off, n, collect, NULL);
	}
}

static void
test_size_cap(void)
{
	enum jsonrpc_feed_status st;
	struct jsonrpc_stream s;
	char *v;

	seen_reset();
	CU_ASSERT_FATAL(jsonrpc_stream_init(&s) == 0);
	/* Exactly at the limit: accepted. */
	v = make_value(VD_JSONRPC_MAX_REQUEST);
	feed_chunks(&s, v, VD_JSONRPC_MAX_REQUEST, &st);
	CU_ASSERT(st == JSONRPC_FEED_OK);
	CU_ASSERT(g_seen.count == 1);
	free(v);
	/* One byte more, arriving in pieces: refused. */
	v = make_value(VD_JSONRPC_MAX_REQUEST + 1);
	feed_chunks(&s, v, VD_JSONRPC_MAX_REQUEST + 1, &st);
	CU_ASSERT(st == JSONRPC_FEED_TOO_LARGE);
	CU_ASSERT(g_seen.count == 1);
	/* ...and in one buffer. */
	CU_ASSERT(jsonrpc_stream_feed(&s, v, VD_JSONRPC_MAX_REQUEST + 1, collect, NULL) ==
		  JSONRPC_FEED_TOO_LARGE);
	free(v);
	/* An unterminated value is cut off at the cap, not buffered forever. */
	v = make_value(3 * VD_JSONRPC_MAX_REQUEST);
	feed_chunks(&s, v, 3 * VD_JSONRPC_MAX_REQUEST, &st);
	CU_ASSERT(st == JSONRPC_FEED_TOO_LARGE);
	/* Whitespace between values does not count. */
	memset(v, ' ', 2 * VD_JSONRPC_MAX_REQUEST);
	memcpy(v + 2 * VD_JSONRPC_MAX_REQUEST, "{}", 3);
	CU_ASSERT(feed_str(&s, v) == JSONRPC_FEED_OK);
	CU_ASSERT(g_seen.count == 2);
	free(v);
	jsonrpc_stream_fini(&s);
	seen_reset();
}

static int
validate_str(const char *text, struct jsonrpc_parsed *p, struct json_object **obj)
{
	*obj = json_tokener_parse(text);
	return jsonrpc_validate(*obj, p);
}

static void
test_validate(void)
{
	static const char *const invalid[] = {
		"[]", "\"x\"", "5",
		"{\"method\":\"m\",\"id\":1}",				/* no jsonrpc */
		"{\"jsonrpc\":\"1.0\",\"method\":\"m\",\"id\":1}",
		"{\"jsonrpc\":2.0,\"method\":\"m\",\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"id\":1}",			/* no method */
		"{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":5,\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":null,\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":{}}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":[1]}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":true}",
	};
	struct json_object *obj;
	struct jsonrpc_parsed p;
	size_t i;

	CU_ASSERT(jsonrpc_validate(NULL, &p) == VD_JSONRPC_ERROR_INVALID_REQUEST);
	for (i = 0; i < VD_COUNTOF(invalid); i++) {
		CU_ASSERT(validate_str(invalid[i], &p, &obj) == VD_JSONRPC_ERROR_INVALID_REQUEST);
		json_object_put(obj);
	}
	/* The id of an invalid request is kept when it could be read... */
	CU_ASSERT(validate_str(invalid[6], &p, &obj) == VD_JSONRPC_ERROR_INVALID_REQUEST);
	CU_ASSERT(p.has_id && json_object_get_int(p.id) == 1);
	json_object_put(obj);
	/* ...and not when its type is wrong. */
	CU_ASSERT(validate_str(invalid[10], &p, &obj) == VD_JSONRPC_ERROR_INVALID_REQUEST);
	CU_ASSERT(!p.has_id && p.id == NULL);
	json_object_put(obj);

	CU_ASSERT(validate_str("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":[1]}", &p,
			       &obj) == 0);
	CU_ASSERT(!p.has_id && json_object_is_type(p.params, json_type_array));
	CU_ASSERT_STRING_EQUAL(p.method, "m");
	json_object_put(obj);
	CU_ASSERT(validate_str("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"id\":null,\"extra\":1}", &p,
			       &obj) == 0);
	CU_ASSERT(p.has_id && p.id == NULL && p.params == NULL);
	json_object_put(obj);
}

static void
check_response(const char *id_text, bool error, const char *expect)
{
	struct json_object *req, *id, *resp;
	struct jsonrpc_buf b = { 0 };
	char text[256];

	snprintf(text, sizeof(text), "{\"id\":%s}", id_text);
	req = json_tokener_parse(text);
	CU_ASSERT_FATAL(req != NULL);
	json_object_object_get_ex(req, "id", &id);
	if (error) {
		resp = jsonrpc_make_error(id, -32601, "Method not found: \"x\"");
	} else {
		resp = jsonrpc_make_result(id, json_object_new_boolean(true));
	}
	json_object_put(req);	/* the response holds its own reference to the id */
	CU_ASSERT_FATAL(resp != NULL);
	CU_ASSERT(jsonrpc_buf_append_json(&b, resp, 1 << 20) == 0);
	CU_ASSERT(b.len == strlen(expect) && memcmp(b.data, expect, b.len) == 0);
	json_object_put(resp);
	jsonrpc_buf_free(&b);
}

static void
test_responses_echo_id(void)
{
	check_response("\"abc\"", false, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"result\":true}\n");
	check_response("\"1\"", false, "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":true}\n");
	check_response("1", false, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":true}\n");
	check_response("-42", false, "{\"jsonrpc\":\"2.0\",\"id\":-42,\"result\":true}\n");
	check_response("18446744073709551615", false,
		       "{\"jsonrpc\":\"2.0\",\"id\":18446744073709551615,\"result\":true}\n");
	check_response("-9223372036854775808", false,
		       "{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775808,\"result\":true}\n");
	check_response("1.50e3", false, "{\"jsonrpc\":\"2.0\",\"id\":1.50e3,\"result\":true}\n");
	check_response("null", true, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
		       "{\"code\":-32601,\"message\":\"Method not found: \\\"x\\\"\"}}\n");
}

static void
test_buf(void)
{
	struct jsonrpc_buf b = { 0 };
	char big[5000];

	memset(big, 'x', sizeof(big));
	CU_ASSERT(jsonrpc_buf_append(&b, "hello", 5, 8) == 0);
	CU_ASSERT(jsonrpc_buf_append(&b, "abcd", 4, 8) == -ENOBUFS);
	CU_ASSERT(jsonrpc_buf_pending(&b) == 5);
	jsonrpc_buf_consume(&b, 3);
	CU_ASSERT(jsonrpc_buf_pending(&b) == 2 && memcmp(b.data + b.off, "lo", 2) == 0);
	CU_ASSERT(jsonrpc_buf_append(&b, "abcd", 4, 8) == 0);
	CU_ASSERT(jsonrpc_buf_pending(&b) == 6 && memcmp(b.data + b.off, "loabcd", 6) == 0);
	CU_ASSERT(jsonrpc_buf_append(&b, big, sizeof(big), 1 << 20) == 0);
	CU_ASSERT(jsonrpc_buf_pending(&b) == 6 + sizeof(big));
	CU_ASSERT(memcmp(b.data + b.off, "loabcdxx", 8) == 0);
	jsonrpc_buf_consume(&b, 100000);
	CU_ASSERT(jsonrpc_buf_pending(&b) == 0 && b.off == 0 && b.len == 0);
	CU_ASSERT(jsonrpc_buf_append(&b, big, sizeof(big), 10) == -ENOBUFS);
	jsonrpc_buf_free(&b);
	CU_ASSERT(b.data == NULL);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("jsonrpc_stream", NULL, NULL);
	CU_ADD_TEST(suite, test_split_byte_by_byte);
	CU_ADD_TEST(suite, test_utf8_split);
	CU_ADD_TEST(suite, test_many_values_one_buffer);
	CU_ADD_TEST(suite, test_stop);
	CU_ADD_TEST(suite, test_parse_errors);
	CU_ADD_TEST(suite, test_size_cap);
	CU_ADD_TEST(suite, test_validate);
	CU_ADD_TEST(suite, test_responses_echo_id);
	CU_ADD_TEST(suite, test_buf);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
