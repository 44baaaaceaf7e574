/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Unit tests of lib/event/subsystem.c: dependency ordering, unknown dependencies, cycles, the
 * asynchronous init/fini chains and the shape of save_config.
 */
#include <CUnit/Basic.h>

#include "event/subsystem.c"

VD_LOG_FLAG_DEFINE(app);

static char g_trace[256];

static void
trace(const char *what, const char *name)
{
	strncat(g_trace, what, sizeof(g_trace) - strlen(g_trace) - 1);
	strncat(g_trace, name, sizeof(g_trace) - strlen(g_trace) - 1);
	strncat(g_trace, " ", sizeof(g_trace) - strlen(g_trace) - 1);
}

static int g_fail_rc;
static const char *g_fail_name;
static bool g_defer_name_b;

static void init_a(void);
static void init_b(void);
static void init_c(void);
static void fini_any(void);

static struct vd_subsystem g_a = { .name = "a", .init = init_a, .fini = fini_any };
static struct vd_subsystem g_b = { .name = "b", .init = init_b, .fini = fini_any,
				   .depends_on = { "a" } };
static struct vd_subsystem g_c = { .name = "c", .init = init_c, .fini = fini_any,
				   .depends_on = { "b", "a" } };
static struct vd_subsystem g_d = { .name = "d" };	/* no hooks at all */
static struct vd_subsystem *g_fini_order[8];
static int g_nfini;

static void
init_common(struct vd_subsystem *s)
{
	trace("+", s->name);
	if (g_fail_name != NULL && strcmp(g_fail_name, s->name) == 0) {
		vd_subsystem_init_next(g_fail_rc);
		return;
	}
	if (s == &g_b && g_defer_name_b) {
		return;		/* completes later, asynchronously */
	}
	vd_subsystem_init_next(0);
}

static void init_a(void) { init_common(&g_a); }
static void init_b(void) { init_common(&g_b); }
static void init_c(void) { init_common(&g_c); }

static void
fini_any(void)
{
	/* The chain tells us who is finishing through its position. */
	g_fini_order[g_nfini++] = subsystem_at(g_fini_left);
	trace("-", subsystem_at(g_fini_left)->name);
	vd_subsystem_fini_next();
}

static int g_init_cb_rc = 1;
static int g_fini_cb_runs;

static void
init_cb(int rc)
{
	g_init_cb_rc = rc;
}

static void
fini_cb(void)
{
	g_fini_cb_runs++;
}

static void
setup(void)
{
	subsystem_unregister_all();
	g_trace[0] = '\0';
	g_fail_name = NULL;
	g_defer_name_b = false;
	g_init_cb_rc = 1;
	g_fini_cb_runs = 0;
	g_nfini = 0;
	g_c.depends_on[0] = "b";
	g_c.depends_on[1] = "a";
	g_a.depends_on[0] = NULL;
}

static void
register_all(void)
{
	vd_subsystem_register(&g_c);
	vd_subsystem_register(&g_d);
	vd_subsystem_register(&g_b);
	vd_subsystem_register(&g_a);
}

static const char *
order_string(void)
{
	static char buf[64];
	struct vd_subsystem *s;

	buf[0] = '\0';
	for (s = vd_subsystem_get_first(); s != NULL; s = vd_subsystem_get_next(s)) {
		strcat(buf, s->name);
	}
	return buf;
}

static void
test_sort_order(void)
{
	setup();
	register_all();
	vd_subsystem_register(&g_a);	/* duplicate: ignored */
	CU_ASSERT_STRING_EQUAL(order_string(), "cdba");
	CU_ASSERT(subsystem_sort() == 0);
	/* Dependencies first; otherwise registration order. */
	CU_ASSERT_STRING_EQUAL(order_string(), "dabc");
	CU_ASSERT(vd_subsystem_find("b") == &g_b);
	CU_ASSERT(vd_subsystem_find("zz") == NULL);
	CU_ASSERT(vd_subsystem_find(NULL) == NULL);
	/* Sorting is stable. */
	CU_ASSERT(subsystem_sort() == 0);
	CU_ASSERT_STRING_EQUAL(order_string(), "dabc");
}

static void
test_sort_unknown_dependency(void)
{
	setup();
	register_all();
	g_c.depends_on[1] = "nope";
	CU_ASSERT(subsystem_sort() == -ENOENT);
	CU_ASSERT_STRING_EQUAL(order_string(), "cdba");
}

static void
test_sort_cycle(void)
{
	setup();
	register_all();
	g_a.depends_on[0] = "c";	/* a -> c -> b -> a */
	CU_ASSERT(subsystem_sort() == -ELOOP);
	CU_ASSERT_STRING_EQUAL(order_string(), "cdba");
	g_a.depends_on[0] = NULL;
}

static void
test_init_fini_chain(void)
{
	setup();
	register_all();
	CU_ASSERT_FATAL(subsystem_sort() == 0);
	subsystem_init_all(init_cb);
	CU_ASSERT(g_init_cb_rc == 0);
	CU_ASSERT_STRING_EQUAL(g_trace, "+a +b +c ");
	g_trace[0] = '\0';
	subsystem_fini_all(fini_cb);
	CU_ASSERT_STRING_EQUAL(g_trace, "-c -b -a ");
	CU_ASSERT(g_fini_cb_runs == 1);
}

static void
test_init_async_and_failure(void)
{
	setup();
	register_all();
	CU_ASSERT_FATAL(subsystem_sort() == 0);
	g_defer_name_b = true;
	subsystem_init_all(init_cb);
	CU_ASSERT(g_init_cb_rc == 1);		/* b has not finished yet */
	CU_ASSERT_STRING_EQUAL(g_trace, "+a +b ");
	vd_subsystem_init_next(0);
	CU_ASSERT(g_init_cb_rc == 0);
	CU_ASSERT_STRING_EQUAL(g_trace, "+a +b +c ");
	subsystem_fini_all(fini_cb);
	CU_ASSERT(g_fini_cb_runs == 1);
	subsystem_reset();
	g_fini_cb_runs = 0;

	/* c fails: the chain stops with its rc; only d, a, b are finished, in reverse. */
	g_trace[0] = '\0';
	g_defer_name_b = false;
	g_fail_name = "c";
	g_fail_rc = -EIO;
	subsystem_init_all(init_cb);
	CU_ASSERT(g_init_cb_rc == -EIO);
	CU_ASSERT_STRING_EQUAL(g_trace, "+a +b +c ");
	g_trace[0] = '\0';
	subsystem_fini_all(fini_cb);
	CU_ASSERT_STRING_EQUAL(g_trace, "-b -a ");
	CU_ASSERT(g_fini_cb_runs == 1);
	/* A late completion after fini started is ignored. */
	vd_subsystem_init_next(0);
	CU_ASSERT(g_init_cb_rc == -EIO);
}

static void
test_fini_during_async_init(void)
{
	setup();
	register_all();
	CU_ASSERT_FATAL(subsystem_sort() == 0);
	g_defer_name_b = true;
	subsystem_init_all(init_cb);
	g_trace[0] = '\0';
	subsystem_fini_all(fini_cb);
	CU_ASSERT_STRING_EQUAL(g_trace, "-a ");	/* b never completed */
	vd_subsystem_init_next(0);		/* late: nothing more starts */
	CU_ASSERT_STRING_EQUAL(g_trace, "-a ");
	CU_ASSERT(g_init_cb_rc == 1);
}

static void
write_b(struct json_object *arr)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "method", json_object_new_string("b_set"));
	json_object_object_add(o, "params", json_object_new_object());
	json_object_array_add(arr, o);
}

static void
test_save_config_shape(void)
{
	struct json_object *cfg, *subs, *e, *v, *conf;

	setup();
	register_all();
	g_b.write_config_json = write_b;
	CU_ASSERT_FATAL(subsystem_sort() == 0);
	cfg = vd_subsystem_save_config();
	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_FATAL(json_object_object_get_ex(cfg, "subsystems", &subs));
	CU_ASSERT_FATAL(json_object_is_type(subs, json_type_array));
	CU_ASSERT_FATAL(json_object_array_length(subs) == 4);
	e = json_object_array_get_idx(subs, 0);
	CU_ASSERT(json_object_object_get_ex(e, "subsystem", &v) &&
		  strcmp(json_object_get_string(v), "d") == 0);
	CU_ASSERT(json_object_object_get_ex(e, "config", &conf) &&
		  json_object_is_type(conf, json_type_array) &&
		  json_object_array_length(conf) == 0);
	e = json_object_array_get_idx(subs, 2);
	CU_ASSERT(json_object_object_get_ex(e, "subsystem", &v) &&
		  strcmp(json_object_get_string(v), "b") == 0);
	CU_ASSERT_FATAL(json_object_object_get_ex(e, "config", &conf));
	CU_ASSERT_FATAL(json_object_array_length(conf) == 1);
	CU_ASSERT(json_object_object_get_ex(json_object_array_get_idx(conf, 0), "method", &v) &&
		  strcmp(json_object_get_string(v), "b_set") == 0);
	json_object_put(cfg);
	g_b.write_config_json = NULL;

	/* Empty registry: an empty list, still an object. */
	subsystem_unregister_all();
	cfg = vd_subsystem_save_config();
	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN),
			       "{\"subsystems\":[]}");
	json_object_put(cfg);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("subsystem", NULL, NULL);
	CU_ADD_TEST(suite, test_sort_order);
	CU_ADD_TEST(suite, test_sort_unknown_dependency);
	CU_ADD_TEST(suite, test_sort_cycle);
	CU_ADD_TEST(suite, test_init_fini_chain);
	CU_ADD_TEST(suite, test_init_async_and_failure);
	CU_ADD_TEST(suite, test_fini_during_async_init);
	CU_ADD_TEST(suite, test_save_config_shape);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
