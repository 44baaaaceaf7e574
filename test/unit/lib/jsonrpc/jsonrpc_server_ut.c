/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Unit tests of the JSON-RPC server: connections over socketpairs (and one real listening
 * socket), polled by hand.  The handler records requests and answers at once or later.
 */

#include <CUnit/Basic.h>

#include <sys/stat.h>

#include "jsonrpc/jsonrpc_server.c"

#define MAX_REQS 64

enum handler_mode { ANSWER_NOW, ANSWER_LATER, ANSWER_BIG, SHUTDOWN_SERVER };

static struct {
	struct vd_jsonrpc_request	*req[MAX_REQS];
	char				method[MAX_REQS][64];
	bool				notification[MAX_REQS];
	int				count;
	enum handler_mode		mode;
} g_h;

static struct vd_jsonrpc_server *g_server;

static void
handler(struct vd_jsonrpc_request *req, const char *method, struct json_object *params)
{
	int i = g_h.count++;
	char *big;

	CU_ASSERT_FATAL(i < MAX_REQS);
	g_h.req[i] = req;
	snprintf(g_h.method[i], sizeof(g_h.method[i]), "%s", method);
	g_h.notification[i] = vd_jsonrpc_request_is_notification(req);
	switch (g_h.mode) {
	case ANSWER_NOW:
		if (strcmp(method, "fail") == 0) {
			vd_jsonrpc_send_error(req, -2, "%s", strerror(ENOENT));
		} else {
			vd_jsonrpc_send_result(req, json_object_new_string(method));
		}
		g_h.req[i] = NULL;
		break;
	case ANSWER_BIG:
		big = malloc(4 << 20);
		memset(big, 'b', 4 << 20);
		vd_jsonrpc_send_result(req, json_object_new_string_len(big, 4 << 20));
		free(big);
		g_h.req[i] = NULL;
		break;
	case SHUTDOWN_SERVER:
		vd_jsonrpc_server_shutdown(&g_server);
		vd_jsonrpc_send_result(req, NULL);
		g_h.req[i] = NULL;
		break;
	case ANSWER_LATER:
		break;
	}
}

static void
h_reset(enum handler_mode mode)
{
	memset(&g_h, 0, sizeof(g_h));
	g_h.mode = mode;
}

/* A server with one socketpair client; \return the client's end. */
static int
setup(enum handler_mode mode)
{
	int sv[2];

	h_reset(mode);
	g_server = jsonrpc_server_alloc(handler);
	CU_ASSERT_FATAL(g_server != NULL);
	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
				   sv) == 0);
	CU_ASSERT_FATAL(jsonrpc_server_add_conn(g_server, sv[0]) == 0);
	return sv[1];
}

static void
teardown(int cfd)
{
	close(cfd);
	vd_jsonrpc_server_shutdown(&g_server);
	CU_ASSERT(g_server == NULL);
}

static void
client_write(int cfd, const char *s)
{
	CU_ASSERT_FATAL(send(cfd, s, strlen(s), MSG_NOSIGNAL) == (ssize_t)strlen(s));
}

/* Poll, then read what the server sent (NUL-terminated; "" when nothing).  Freed by caller. */
static char *
exchange(int cfd)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	ssize_t n;
	int idle = 0;

	/* Keep going while the server or the socket still make progress (large answers). */
	while (idle < 3) {
		if (g_server != NULL && vd_jsonrpc_server_poll(g_server) == 0) {
			idle++;
		}
		for (;;) {
			if (cap - len < 65536) {
				cap *= 2;
				buf = realloc(buf, cap);
			}
			n = read(cfd, buf + len, cap - len - 1);
			if (n <= 0) {
				break;
			}
			len += (size_t)n;
			idle = 0;
		}
		if (g_server == NULL) {
			break;
		}
	}
	buf[len] = '\0';
	return buf;
}

static bool
peer_closed(int cfd)
{
	char c;

	return read(cfd, &c, 1) == 0;
}

static void
test_split_byte_by_byte(void)
{
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"hello\",\"id\":\"a1\"}";
	int cfd = setup(ANSWER_NOW);
	char *out;
	size_t i;

	for (i = 0; i < strlen(req); i++) {
		CU_ASSERT_FATAL(write(cfd, req + i, 1) == 1);
		out = exchange(cfd);
		if (i + 1 < strlen(req)) {
			CU_ASSERT_STRING_EQUAL(out, "");
		} else {
			CU_ASSERT_STRING_EQUAL(out, "{\"jsonrpc\":\"2.0\",\"id\":\"a1\","
					       "\"result\":\"hello\"}\n");
		}
		free(out);
	}
	CU_ASSERT(g_h.count == 1);
	teardown(cfd);
}

static void
test_many_in_one_write(void)
{
	int cfd = setup(ANSWER_NOW);
	char *out;

	client_write(cfd, "{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"id\":1}\n"
		     "{\"jsonrpc\":\"2.0\",\"method\":\"notify\"}"
		     "  {\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"id\":\"two\"}"
		     "{\"jsonrpc\":\"2.0\",\"method\":\"c\",\"params\":[1],\"id\":null}");
	out = exchange(cfd);
	CU_ASSERT_STRING_EQUAL(out,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"a\"}\n"
		"{\"jsonrpc\":\"2.0\",\"id\":\"two\",\"error\":{\"code\":-2,"
		"\"message\":\"No such file or directory\"}}\n"
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":\"c\"}\n");
	free(out);
	CU_ASSERT(g_h.count == 4 && g_h.notification[1] && !g_h.notification[3]);
	CU_ASSERT_STRING_EQUAL(g_h.method[1], "notify");
	teardown(cfd);
}

static void
test_ids_echoed(void)
{
	static const char *const ids[] = {
		"\"abc\"", "\"7\"", "7", "-3", "0", "9223372036854775807",
		"18446744073709551615", "2.5", "1e3", "\"\\u00e9\"",
	};
	char req[256], expect[256], *out;
	int cfd = setup(ANSWER_NOW);
	size_t i;

	for (i = 0; i < VD_COUNTOF(ids); i++) {
		snprintf(req, sizeof(req), "{\"id\":%s,\"jsonrpc\":\"2.0\",\"method\":\"m\"}",
			 ids[i]);
		snprintf(expect, sizeof(expect), "{\"jsonrpc\":\"2.0\",\"id\":%s,"
			 "\"result\":\"m\"}\n", i == 9 ? "\"\xc3\xa9\"" : ids[i]);
		client_write(cfd, req);
		out = exchange(cfd);
		CU_ASSERT_STRING_EQUAL(out, expect);
		free(out);
	}
	teardown(cfd);
}

static void
test_batch_mixed(void)
{
	int cfd = setup(ANSWER_NOW);
	char *out;

	client_write(cfd, "[{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"id\":1},"
		     "{\"jsonrpc\":\"2.0\",\"method\":\"n\"},"
		     "{\"foo\":1},"
		     "5,"
		     "{\"jsonrpc\":\"2.0\",\"method\":\"b\",\"id\":{}},"
		     "{\"jsonrpc\":\"2.0\",\"id\":9},"
		     "{\"jsonrpc\":\"2.0\",\"method\":\"c\",\"id\":\"x\"}]");
	out = exchange(cfd);
	CU_ASSERT_STRING_EQUAL(out, "["
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"a\"},"
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
		"\"message\":\"Invalid Request\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
		"\"message\":\"Invalid Request\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
		"\"message\":\"Invalid Request\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32600,"
		"\"message\":\"Invalid Request\"}},"
		"{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"result\":\"c\"}]\n");
	free(out);
	CU_ASSERT(g_h.count == 3);	/* a, n, c */
	teardown(cfd);
}

static void
test_batch_special(void)
{
	int cfd = setup(ANSWER_NOW);
	char *out;

	client_write(cfd, "[]");
	out = exchange(cfd);
	CU_ASSERT_STRING_EQUAL(out, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
			       "\"message\":\"Invalid Request\"}}\n");
	free(out);
	/* Only notifications: nothing at all is sent. */
	client_write(cfd, "[{\"jsonrpc\":\"2.0\",\"method\":\"n1\"},"
		     "{\"jsonrpc\":\"2.0\",\"method\":\"n2\",\"params\":{}}]");
	out = exchange(cfd);
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	CU_ASSERT(g_h.count == 2);
	/* The connection still works. */
	client_write(cfd, "[{\"jsonrpc\":\"2.0\",\"method\":\"z\",\"id\":0}]");
	out = exchange(cfd);
	CU_ASSERT_STRING_EQUAL(out, "[{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":\"z\"}]\n");
	free(out);
	teardown(cfd);
}

static void
test_batch_async_order(void)
{
	int cfd = setup(ANSWER_LATER);
	char *out;

	client_write(cfd, "[{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"id\":1},"
		     "{\"jsonrpc\":\"2.0\",\"method\":\"n\"},"
		     "{\"jsonrpc\":\"2.0\",\"method\":\"b\",\"id\":2}]");
	out = exchange(cfd);
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	CU_ASSERT_FATAL(g_h.count == 3);
	vd_jsonrpc_send_result(g_h.req[2], json_object_new_int(2));
	vd_jsonrpc_send_result(g_h.req[1], json_object_new_int(99));	/* notification */
	out = exchange(cfd);
	CU_ASSERT_STRING_EQUAL(out, "");	/* still waiting for "a" */
	free(out);
	vd_jsonrpc_send_error(g_h.req[0], -32602, "Invalid parameters: '%s' bad", "x");
	out = exchange(cfd);
	CU_ASSERT_STRING_EQUAL(out, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32602,"
			       "\"message\":\"Invalid parameters: 'x' bad\"}},"
			       "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":2}]\n");
	free(out);
	teardown(cfd);
}

static void
test_invalid_requests(void)
{
	static const char *const reqs[] = {
		"\"hello\"", "42 ", "null ", "true ",
		"{\"method\":\"m\",\"id\":3}",
		"{\"jsonrpc\":\"2.0\",\"id\":4}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":[]}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":\"p\",\"id\":5}",
	};
	static const char *const ids[] = {
		"null", "null", "null", "null", "3", "4", "null", "5",
	};
	char expect[256], *out;
	int cfd = setup(ANSWER_NOW);
	size_t i;

	for (i = 0; i < VD_COUNTOF(reqs); i++) {
		client_write(cfd, reqs[i]);
		out = exchange(cfd);
		snprintf(expect, sizeof(expect), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":"
			 "{\"code\":-32600,\"message\":\"Invalid Request\"}}\n", ids[i]);
		CU_ASSERT_STRING_EQUAL(out, expect);
		free(out);
	}
	CU_ASSERT(g_h.count == 0);
	CU_ASSERT(g_server->num_conns == 1);
	teardown(cfd);
}

static void
test_parse_error_closes(void)
{
	int cfd = setup(ANSWER_NOW);
	char *out;

	client_write(cfd, "{\"jsonrpc\":\"2.0\",\"method\":\"ok\",\"id\":1} {\"a\" 1} "
		     "{\"jsonrpc\":\"2.0\",\"method\":\"never\",\"id\":2}");
	out = exchange(cfd);
	CU_ASSERT_STRING_EQUAL(out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"ok\"}\n"
			       "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
			       "\"message\":\"Parse error\"}}\n");
	free(out);
	CU_ASSERT(g_h.count == 1);
	CU_ASSERT(peer_closed(cfd));
	CU_ASSERT(g_server->num_conns == 0);
	teardown(cfd);
}

static void
test_too_large(void)
{
	int cfd = setup(ANSWER_NOW);
	size_t off = 0, total = VD_JSONRPC_MAX_REQUEST + 4096;
	char *data, *out = NULL, *all = strdup("");
	ssize_t n;

	data = malloc(total);
	memset(data, 'a', total);
	memcpy(data, "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1,\"params\":{\"x\":\"", 52);
	while (off < total) {
		n = send(cfd, data + off, total - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && errno != EAGAIN) {
			break;
		}
		out = exchange(cfd);
		all = realloc(all, strlen(all) + strlen(out) + 1);
		strcat(all, out);
		free(out);
		if (g_server->num_conns == 0) {
			break;
		}
	}
	CU_ASSERT_STRING_EQUAL(all, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
			       "\"message\":\"request too large (limit 1048576 bytes)\"}}\n");
	CU_ASSERT(g_server->num_conns == 0);
	CU_ASSERT(g_h.count == 0);
	free(all);
	free(data);
	teardown(cfd);
}

static void
test_async_answer_after_client_gone(void)
{
	int cfd = setup(ANSWER_LATER);
	char *out;

	client_write(cfd, "{\"jsonrpc\":\"2.0\",\"method\":\"slow\",\"id\":1}");
	out = exchange(cfd);
	free(out);
	CU_ASSERT_FATAL(g_h.count == 1);
	close(cfd);
	vd_jsonrpc_server_poll(g_server);
	/* The answer goes nowhere; the connection is then freed. */
	vd_jsonrpc_send_result(g_h.req[0], json_object_new_string("late"));
	vd_jsonrpc_server_poll(g_server);
	CU_ASSERT(g_server->num_conns == 0);
	vd_jsonrpc_server_shutdown(&g_server);
}

static void
test_hangup_mid_request(void)
{
	int cfd = setup(ANSWER_LATER);

	client_write(cfd, "{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"id\":1}{\"jsonrpc\":");
	vd_jsonrpc_server_poll(g_server);
	CU_ASSERT_FATAL(g_h.count == 1);
	close(cfd);
	vd_jsonrpc_server_poll(g_server);
	/* Closed at once although "a" is unanswered; the request stays valid. */
	CU_ASSERT(g_server->num_conns == 0);
	vd_jsonrpc_send_error(g_h.req[0], -5, "late");
	vd_jsonrpc_server_shutdown(&g_server);
}

static void
test_half_close_gets_answers(void)
{
	int cfd = setup(ANSWER_LATER);
	char *out;

	client_write(cfd, "{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"id\":1}");
	CU_ASSERT(shutdown(cfd, SHUT_WR) == 0);
	out = exchange(cfd);
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	CU_ASSERT_FATAL(g_h.count == 1);
	CU_ASSERT(g_server->num_conns == 1);
	vd_jsonrpc_send_result(g_h.req[0], NULL);
	out = exchange(cfd);
	CU_ASSERT_STRING_EQUAL(out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}\n");
	free(out);
	CU_ASSERT(g_server->num_conns == 0);
	CU_ASSERT(peer_closed(cfd));
	teardown(cfd);
}

static void
test_shutdown_with_pending(void)
{
	int cfd = setup(ANSWER_LATER);

	client_write(cfd, "[{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"id\":1},"
		     "{\"jsonrpc\":\"2.0\",\"method\":\"b\",\"id\":2}]"
		     "{\"jsonrpc\":\"2.0\",\"method\":\"c\",\"id\":3}");
	vd_jsonrpc_server_poll(g_server);
	CU_ASSERT_FATAL(g_h.count == 3);
	vd_jsonrpc_server_shutdown(&g_server);
	CU_ASSERT(g_server == NULL);
	CU_ASSERT(peer_closed(cfd));
	vd_jsonrpc_send_result(g_h.req[1], NULL);
	vd_jsonrpc_send_result(g_h.req[2], NULL);
	vd_jsonrpc_send_result(g_h.req[0], NULL);
	close(cfd);
}

static void
test_shutdown_from_handler(void)
{
	int cfd = setup(SHUTDOWN_SERVER);
	struct vd_jsonrpc_server *server = g_server;
	char buf[128] = "";

	client_write(cfd, "{\"jsonrpc\":\"2.0\",\"method\":\"stop\",\"id\":1}"
		     "{\"jsonrpc\":\"2.0\",\"method\":\"never\",\"id\":2}");
	vd_jsonrpc_server_poll(server);	/* frees the server before returning */
	CU_ASSERT(g_server == NULL);
	CU_ASSERT(g_h.count == 1);
	/* The stopping request still got its answer. */
	CU_ASSERT(read(cfd, buf, sizeof(buf) - 1) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}\n");
	CU_ASSERT(peer_closed(cfd));
	close(cfd);
}

static void
test_slow_reader(void)
{
	int cfd = setup(ANSWER_BIG);
	size_t expect_len = (4 << 20) + strlen("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"\"}\n");
	char *out;
	int polls;

	client_write(cfd, "{\"jsonrpc\":\"2.0\",\"method\":\"big\",\"id\":1}");
	/* Without a reader, polling does not block and keeps the rest queued. */
	for (polls = 0; polls < 10; polls++) {
		vd_jsonrpc_server_poll(g_server);
	}
	CU_ASSERT(jsonrpc_buf_pending(&TAILQ_FIRST(&g_server->conns)->out) > 0);
	out = exchange(cfd);
	CU_ASSERT(strlen(out) == expect_len);
	CU_ASSERT(strncmp(out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"bbbb", 37) == 0);
	free(out);
	teardown(cfd);
}

static void
test_output_limit_drops_client(void)
{
	int cfd = setup(ANSWER_LATER);
	struct jsonrpc_conn *conn = TAILQ_FIRST(&g_server->conns);
	char *big;

	client_write(cfd, "{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"id\":1}");
	vd_jsonrpc_server_poll(g_server);
	CU_ASSERT_FATAL(g_h.count == 1);
	/* Pretend the client left 64 MiB unread. */
	big = calloc(1, JSONRPC_OUT_LIMIT);
	CU_ASSERT(jsonrpc_buf_append(&conn->out, big, JSONRPC_OUT_LIMIT - 8, JSONRPC_OUT_LIMIT) ==
		  0);
	free(big);
	vd_jsonrpc_send_result(g_h.req[0], json_object_new_string("overflow"));
	vd_jsonrpc_server_poll(g_server);
	CU_ASSERT(g_server->num_conns == 0);
	teardown(cfd);
}

static void
test_garbage_never_crashes(void)
{
	unsigned int seed = 12345;
	char buf[512];
	int round, cfd;
	size_t i;

	for (round = 0; round < 200; round++) {
		cfd = setup(round % 2 ? ANSWER_NOW : ANSWER_LATER);
		for (i = 0; i < sizeof(buf); i++) {
			/* Mostly JSON punctuation so that the parser gets deep, sometimes noise. */
			buf[i] = "{}[]\":,0123 aetrunl\\-."[rand_r(&seed) % 23];
			if (rand_r(&seed) % 50 == 0) {
				buf[i] = (char)rand_r(&seed);
			}
		}
		CU_ASSERT_FATAL(write(cfd, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
		free(exchange(cfd));
		for (i = 0; i < (size_t)g_h.count; i++) {
			if (g_h.req[i] != NULL) {
				vd_jsonrpc_send_result(g_h.req[i], NULL);
			}
		}
		teardown(cfd);
	}
}

static void
test_listen_real_socket(void)
{
	char dir[] = "/tmp/vd_jsonrpc_ut.XXXXXX", path[128], *out;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct vd_jsonrpc_server *other = NULL;
	struct stat st;
	int cfd;

	h_reset(ANSWER_NOW);
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/rpc.sock", dir);
	CU_ASSERT_FATAL(vd_jsonrpc_server_listen(path, handler, &g_server) == 0);
	CU_ASSERT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0660);
	CU_ASSERT(vd_jsonrpc_server_listen(path, handler, &other) == -EADDRINUSE);
	CU_ASSERT(other == NULL);

	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	CU_ASSERT_FATAL(connect(cfd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	client_write(cfd, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}");
	out = exchange(cfd);
	CU_ASSERT_STRING_EQUAL(out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"ping\"}\n");
	free(out);
	teardown(cfd);
	unlink(path);
	rmdir(dir);

	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	CU_ASSERT(vd_jsonrpc_server_listen(path, handler, &other) == -ENAMETOOLONG);
	CU_ASSERT(vd_jsonrpc_server_listen("", handler, &other) == -EINVAL);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("jsonrpc_server", NULL, NULL);
	CU_ADD_TEST(suite, test_split_byte_by_byte);
	CU_ADD_TEST(suite, test_many_in_one_write);
	CU_ADD_TEST(suite, test_ids_echoed);
	CU_ADD_TEST(suite, test_batch_mixed);
	CU_ADD_TEST(suite, test_batch_special);
	CU_ADD_TEST(suite, test_batch_async_order);
	CU_ADD_TEST(suite, test_invalid_requests);
	CU_ADD_TEST(suite, test_parse_error_closes);
	CU_ADD_TEST(suite, test_too_large);
	CU_ADD_TEST(suite, test_async_answer_after_client_gone);
	CU_ADD_TEST(suite, test_hangup_mid_request);
	CU_ADD_TEST(suite, test_half_close_gets_answers);
	CU_ADD_TEST(suite, test_shutdown_with_pending);
	CU_ADD_TEST(suite, test_shutdown_from_handler);
	CU_ADD_TEST(suite, test_slow_reader);
	CU_ADD_TEST(suite, test_output_limit_drops_client);
	CU_ADD_TEST(suite, test_garbage_never_crashes);
	CU_ADD_TEST(suite, test_listen_real_socket);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
