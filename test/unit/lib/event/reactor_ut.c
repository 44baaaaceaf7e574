/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Unit tests of lib/event/reactor.c without launching cores: thread placement by cpumask and
 * load, events, one loop iteration at a time, destruction of exited idle threads, stats, fini.
 */
#include <CUnit/Basic.h>

#include "event/reactor.c"

static int g_msgs;

static void
count_msg(void *ctx)
{
	g_msgs++;
}

static struct lw_thread *
lw_of(struct vd_thread *t)
{
	return vd_thread_get_sched_ctx(t);
}

static void
test_placement_and_loop(void)
{
	struct vd_thread *t1, *t2, *t3, *t4;
	struct vd_reactor_stats st;
	struct vd_cpuset mask, one;
	uint64_t id;

	CU_ASSERT_FATAL(vd_cpuset_parse(&mask, "0x3") == 0);
	CU_ASSERT_FATAL(reactors_init(&mask) == 0);
	CU_ASSERT(vd_reactor_count() == 2);
	vd_reactor_get_cpuset(&one);
	CU_ASSERT(vd_cpuset_equal(&one, &mask));
	CU_ASSERT_FATAL(vd_thread_lib_init(reactors_schedule_thread, 0) == 0);

	/* Least loaded first: 0, 1, then 0 again. */
	t1 = vd_thread_create("t1", NULL);
	t2 = vd_thread_create("t2", NULL);
	t3 = vd_thread_create("t3", NULL);
	CU_ASSERT_FATAL(t1 && t2 && t3);
	CU_ASSERT(lw_of(t1)->reactor == &g_reactors[0]);
	CU_ASSERT(lw_of(t2)->reactor == &g_reactors[1]);
	CU_ASSERT(lw_of(t3)->reactor == &g_reactors[0]);
	/* The cpumask is honoured even against load. */
	vd_cpuset_zero(&one);
	vd_cpuset_set_cpu(&one, 1, true);
	t4 = vd_thread_create("t4", &one);
	CU_ASSERT_FATAL(t4 != NULL);
	CU_ASSERT(lw_of(t4)->reactor == &g_reactors[1]);
	/* No reactor on core 5: refused. */
	vd_cpuset_zero(&one);
	vd_cpuset_set_cpu(&one, 5, true);
	CU_ASSERT(vd_thread_create("t5", &one) == NULL);

	/* Threads join their reactor's list when it runs its events. */
	CU_ASSERT(TAILQ_EMPTY(&g_reactors[0].threads));
	CU_ASSERT(vd_thread_send_msg(t3, count_msg, NULL) == 0);
	reactor_run_once(&g_reactors[0]);
	CU_ASSERT(TAILQ_FIRST(&g_reactors[0].threads) == lw_of(t1));
	CU_ASSERT(g_msgs == 1);
	CU_ASSERT(vd_get_thread() == NULL);
	CU_ASSERT(vd_reactor_get_stats(0, &st) == 0);
	CU_ASSERT(st.iterations == 1 && st.thread_count == 2 && st.busy_tsc > 0);
	reactor_run_once(&g_reactors[0]);
	CU_ASSERT(vd_reactor_get_stats(0, &st) == 0);
	CU_ASSERT(st.iterations == 2 && st.idle_tsc > 0);
	CU_ASSERT(vd_reactor_get_stats(7, &st) == -ENOENT);

	/* An exited thread is destroyed by its reactor once idle. */
	id = vd_thread_get_id(t1);
	vd_set_thread(t1);
	vd_thread_exit(t1);
	vd_set_thread(NULL);
	CU_ASSERT(vd_thread_send_msg(t1, count_msg, NULL) == 0);
	reactor_run_once(&g_reactors[0]);
	CU_ASSERT(g_msgs == 2);
	CU_ASSERT(vd_thread_get_by_id(id) == NULL);
	CU_ASSERT(vd_reactor_get_stats(0, &st) == 0 && st.thread_count == 1);

	/* Events run on the reactor, outside any thread. */
	CU_ASSERT(reactor_send_event(1, count_msg, NULL) == 0);
	CU_ASSERT(reactor_send_event(2, count_msg, NULL) == -ENOENT);
	reactor_run_once(&g_reactors[1]);
	CU_ASSERT(g_msgs == 3);

	/* fini destroys every remaining thread, placed or still queued. */
	reactors_fini();
	CU_ASSERT(vd_thread_get_count() == 0);
	CU_ASSERT(vd_reactor_count() == 0);
	vd_thread_lib_fini();
}

static void
test_empty_mask(void)
{
	struct vd_cpuset mask;

	vd_cpuset_zero(&mask);
	CU_ASSERT(reactors_init(&mask) == -EINVAL);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("reactor", NULL, NULL);
	CU_ADD_TEST(suite, test_placement_and_loop);
	CU_ADD_TEST(suite, test_empty_mask);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
