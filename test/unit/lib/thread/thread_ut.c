/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Unit tests of lib/thread: messages, pollers (active, timed, paused, self-unregistering),
 * I/O channels and their iteration, thread iteration, exit/destroy and statistics.
 * Driven by the fake threads and fake clock of ut_thread.h; nothing sleeps.
 */
#include <CUnit/Basic.h>

#include "thread/thread.c"
#include "thread/io_channel.c"
#include "ut_thread.h"

/* Messages ---------------------------------------------------------------------------------- */

static int g_order[64];
static int g_norder;
static struct vd_thread *g_ran_on[64];

static void
record_msg(void *ctx)
{
	if (g_norder < (int)VD_COUNTOF(g_order)) {
		g_ran_on[g_norder] = vd_get_thread();
		g_order[g_norder++] = (int)(intptr_t)ctx;
	}
}

static void
reset_record(void)
{
	g_norder = 0;
	memset(g_order, 0, sizeof(g_order));
	memset(g_ran_on, 0, sizeof(g_ran_on));
}

static void
test_msg_order_cross_thread(void)
{
	int i;

	CU_ASSERT_FATAL(ut_thread_init(2) == 0);
	reset_record();
	for (i = 1; i <= 5; i++) {
		CU_ASSERT(vd_thread_send_msg(ut_thread(1), record_msg, (void *)(intptr_t)i) == 0);
	}
	/* Nothing runs on the sender's poll. */
	CU_ASSERT(ut_poll_thread(0) == VD_POLLER_IDLE);
	CU_ASSERT(g_norder == 0);
	CU_ASSERT(vd_thread_has_pending_msgs(ut_thread(1)));
	CU_ASSERT(vd_thread_has_active_work(ut_thread(1)));
	CU_ASSERT(ut_poll_thread(1) == VD_POLLER_BUSY);
	CU_ASSERT_FATAL(g_norder == 5);
	for (i = 0; i < 5; i++) {
		CU_ASSERT(g_order[i] == i + 1);
		CU_ASSERT(g_ran_on[i] == ut_thread(1));
	}
	CU_ASSERT(!vd_thread_has_pending_msgs(ut_thread(1)));
	CU_ASSERT(ut_poll_thread(1) == VD_POLLER_IDLE);
	CU_ASSERT(vd_thread_send_msg(NULL, record_msg, NULL) == -EINVAL);
	CU_ASSERT(vd_thread_send_msg(ut_thread(1), NULL, NULL) == -EINVAL);
	ut_thread_fini();
}

static void
test_msg_batch_limit(void)
{
	int i;

	CU_ASSERT_FATAL(ut_thread_init(1) == 0);
	reset_record();
	for (i = 0; i < 10; i++) {
		CU_ASSERT(vd_thread_send_msg(ut_thread(0), record_msg, (void *)(intptr_t)i) == 0);
	}
	CU_ASSERT(vd_thread_poll(ut_thread(0), 3, ut_now()) == VD_POLLER_BUSY);
	CU_ASSERT(g_norder == 3);
	ut_poll_all();
	CU_ASSERT(g_norder == 10);
	CU_ASSERT(g_order[9] == 9);
	ut_thread_fini();
}

static void
test_msg_ring_full(void)
{
	struct vd_thread *t;
	int i, rc = 0;

	CU_ASSERT_FATAL(vd_thread_lib_init(NULL, 4) == 0);
	t = vd_thread_create("small", NULL);
	CU_ASSERT_FATAL(t != NULL);
	reset_record();
	for (i = 0; i < 4; i++) {
		rc = vd_thread_send_msg(t, record_msg, (void *)(intptr_t)i);
		CU_ASSERT(rc == 0);
	}
	CU_ASSERT(vd_thread_send_msg(t, record_msg, (void *)(intptr_t)99) == -ENOMEM);
	vd_thread_poll(t, 0, UT_TIME_START);
	CU_ASSERT(g_norder == 4);
	CU_ASSERT(g_order[3] == 3);	/* the refused message was not queued */
	CU_ASSERT(vd_thread_send_msg(t, record_msg, (void *)(intptr_t)5) == 0);
	vd_thread_poll(t, 0, UT_TIME_START);
	CU_ASSERT(g_norder == 5);
	vd_set_thread(t);
	vd_thread_exit(t);
	vd_set_thread(NULL);
	vd_thread_destroy(t);
	vd_thread_lib_fini();
}

/* Pollers ----------------------------------------------------------------------------------- */

struct test_poller {
	int			runs;
	int			rc;
	struct vd_poller	*self;
	struct vd_poller	**victim;	/* unregistered by this poller's callback */
	bool			unregister_self;
	bool			pause_self;
	int			*order;
	int			*norder;
	int			id;
};

static int
test_poller_fn(void *arg)
{
	struct test_poller *tp = arg;

	tp->runs++;
	if (tp->order != NULL) {
		tp->order[(*tp->norder)++] = tp->id;
	}
	if (tp->victim != NULL) {
		vd_poller_unregister(tp->victim);
	}
	if (tp->unregister_self) {
		vd_poller_unregister(&tp->self);
	}
	if (tp->pause_self) {
		vd_poller_pause(tp->self);
	}
	return tp->rc;
}

static void
test_active_poller(void)
{
	struct test_poller tp = { .rc = VD_POLLER_BUSY };
	struct vd_poller_stats st;

	CU_ASSERT_FATAL(ut_thread_init(1) == 0);
	vd_set_thread(NULL);
	CU_ASSERT(vd_poller_register(test_poller_fn, &tp, 0, "x") == NULL);
	ut_set_thread(0);
	CU_ASSERT(vd_thread_is_idle(ut_thread(0)));
	tp.self = vd_poller_register(test_poller_fn, &tp, 0, "active");
	CU_ASSERT_FATAL(tp.self != NULL);
	CU_ASSERT(!vd_thread_is_idle(ut_thread(0)));
	CU_ASSERT(vd_thread_has_active_work(ut_thread(0)));
	CU_ASSERT(strcmp(vd_poller_get_name(tp.self), "active") == 0);
	CU_ASSERT(ut_poll_thread(0) == VD_POLLER_BUSY);
	tp.rc = VD_POLLER_IDLE;
	CU_ASSERT(ut_poll_thread(0) == VD_POLLER_IDLE);
	tp.rc = -1;
	CU_ASSERT(ut_poll_thread(0) == VD_POLLER_IDLE);
	CU_ASSERT(tp.runs == 3);
	vd_poller_get_stats(tp.self, &st);
	CU_ASSERT(st.run_count == 3);
	CU_ASSERT(st.busy_count == 1);
	CU_ASSERT(st.period_ticks == 0);
	CU_ASSERT(vd_thread_next_poller_expiration(ut_thread(0)) == 0);
	vd_poller_unregister(&tp.self);
	CU_ASSERT(tp.self == NULL);
	vd_poller_unregister(&tp.self);	/* NULL is ignored */
	CU_ASSERT(vd_thread_is_idle(ut_thread(0)));
	ut_poll_thread(0);
	CU_ASSERT(tp.runs == 3);
	ut_thread_fini();
}

static uint64_t g_now_seen;

static int
now_poller_fn(void *arg)
{
	g_now_seen = vd_thread_get_now();
	return VD_POLLER_IDLE;
}

/* Inside a poll: the poll's tick (the fake clock); outside: a TSC read. */
static void
test_thread_get_now(void)
{
	struct vd_poller *p;
	uint64_t before;

	CU_ASSERT_FATAL(ut_thread_init(1) == 0);
	ut_set_thread(0);
	p = vd_poller_register(now_poller_fn, NULL, 0, "now");
	CU_ASSERT_FATAL(p != NULL);
	ut_poll_thread(0);
	CU_ASSERT(g_now_seen == ut_now());
	ut_time_advance_us(10);
	ut_poll_thread(0);
	CU_ASSERT(g_now_seen == ut_now());
	before = vd_get_ticks();
	CU_ASSERT(vd_thread_get_now() >= before);
	vd_set_thread(NULL);
	CU_ASSERT(vd_thread_get_now() >= before);
	ut_set_thread(0);
	vd_poller_unregister(&p);
	ut_thread_fini();
}

static void
test_timed_poller(void)
{
	struct test_poller tp = { .rc = VD_POLLER_BUSY };
	uint64_t start = ut_now();

	CU_ASSERT_FATAL(ut_thread_init(1) == 0);
	start = ut_now();
	tp.self = vd_poller_register(test_poller_fn, &tp, 100, "timed");
	CU_ASSERT_FATAL(tp.self != NULL);
	CU_ASSERT(!vd_thread_has_active_work(ut_thread(0)));
	CU_ASSERT(vd_thread_next_poller_expiration(ut_thread(0)) == start + ut_us_to_ticks(100));
	ut_poll_thread(0);
	CU_ASSERT(tp.runs == 0);
	ut_time_advance_us(99);
	ut_poll_thread(0);
	CU_ASSERT(tp.runs == 0);
	ut_time_advance_us(1);
	CU_ASSERT(ut_poll_thread(0) == VD_POLLER_BUSY);
	CU_ASSERT(tp.runs == 1);
	ut_poll_thread(0);
	CU_ASSERT(tp.runs == 1);
	/* Late by 2.5 periods: runs once, no catch-up burst, re-armed from now. */
	ut_time_advance_us(250);
	ut_poll_thread(0);
	ut_poll_thread(0);
	CU_ASSERT(tp.runs == 2);
	CU_ASSERT(vd_thread_next_poller_expiration(ut_thread(0)) == ut_now() + ut_us_to_ticks(100));
	vd_poller_unregister(&tp.self);
	ut_thread_fini();
}

static void
test_timed_poller_order(void)
{
	int order[8], norder = 0;
	struct test_poller a = { .id = 1, .order = order, .norder = &norder };
	struct test_poller b = { .id = 2, .order = order, .norder = &norder };
	struct test_poller c = { .id = 3, .order = order, .norder = &norder };

	CU_ASSERT_FATAL(ut_thread_init(1) == 0);
	a.self = vd_poller_register(test_poller_fn, &a, 300, "a");
	b.self = vd_poller_register(test_poller_fn, &b, 100, "b");
	c.self = vd_poller_register(test_poller_fn, &c, 200, "c");
	ut_time_advance_us(300);
	ut_poll_thread(0);
	CU_ASSERT_FATAL(norder == 3);
	CU_ASSERT(order[0] == 2 && order[1] == 3 && order[2] == 1);
	vd_poller_unregister(&a.self);
	vd_poller_unregister(&b.self);
	vd_poller_unregister(&c.self);
	ut_thread_fini();
}

static void
test_poller_pause_resume(void)
{
	struct test_poller act = { 0 }, tim = { 0 };

	CU_ASSERT_FATAL(ut_thread_init(1) == 0);
	act.self = vd_poller_register(test_poller_fn, &act, 0, "act");
	tim.self = vd_poller_register(test_poller_fn, &tim, 10, "tim");
	vd_poller_pause(act.self);
	vd_poller_pause(tim.self);
	CU_ASSERT(vd_poller_is_paused(act.self));
	CU_ASSERT(!vd_thread_has_active_work(ut_thread(0)));
	CU_ASSERT(vd_thread_next_poller_expiration(ut_thread(0)) == 0);
	CU_ASSERT(!vd_thread_is_idle(ut_thread(0)));	/* paused pollers still count */
	ut_time_advance_us(20);
	ut_poll_thread(0);
	CU_ASSERT(act.runs == 0 && tim.runs == 0);

	vd_poller_resume(act.self);
	vd_poller_resume(tim.self);
	CU_ASSERT(!vd_poller_is_paused(tim.self));
	ut_poll_thread(0);
	CU_ASSERT(act.runs == 1);
	CU_ASSERT(tim.runs == 0);	/* re-armed from the resume time */
	ut_time_advance_us(10);
	ut_poll_thread(0);
	CU_ASSERT(act.runs == 2 && tim.runs == 1);

	/* Pausing from inside the callback: runs this once, then stays paused. */
	act.pause_self = true;
	tim.pause_self = true;
	ut_time_advance_us(10);
	ut_poll_thread(0);
	CU_ASSERT(act.runs == 3 && tim.runs == 2);
	CU_ASSERT(vd_poller_is_paused(act.self) && vd_poller_is_paused(tim.self));
	ut_time_advance_us(10);
	ut_poll_thread(0);
	CU_ASSERT(act.runs == 3 && tim.runs == 2);
	/* Unregistering a paused poller frees it. */
	vd_poller_unregister(&act.self);
	vd_poller_unregister(&tim.self);
	CU_ASSERT(vd_thread_is_idle(ut_thread(0)));
	ut_thread_fini();
}

static void
test_poller_unregister_in_callback(void)
{
	struct test_poller self_a = { .unregister_self = true, .rc = 1 };
	struct test_poller self_t = { .unregister_self = true };
	struct test_poller killer = { 0 }, victim = { 0 }, tvictim = { 0 };

	CU_ASSERT_FATAL(ut_thread_init(1) == 0);
	self_a.self = vd_poller_register(test_poller_fn, &self_a, 0, "self_a");
	self_t.self = vd_poller_register(test_poller_fn, &self_t, 5, "self_t");
	killer.self = vd_poller_register(test_poller_fn, &killer, 0, "killer");
	victim.self = vd_poller_register(test_poller_fn, &victim, 0, "victim");
	tvictim.self = vd_poller_register(test_poller_fn, &tvictim, 1000, "tvictim");
	killer.victim = &victim.self;	/* the next poller in the active list */

	ut_time_advance_us(5);
	CU_ASSERT(ut_poll_thread(0) == VD_POLLER_BUSY);
	CU_ASSERT(self_a.runs == 1 && self_a.self == NULL);
	CU_ASSERT(self_t.runs == 1 && self_t.self == NULL);
	CU_ASSERT(killer.runs == 1);
	CU_ASSERT(victim.runs == 0 && victim.self == NULL);

	killer.victim = &tvictim.self;	/* a timed poller that is not due */
	ut_time_advance_us(5);
	ut_poll_thread(0);
	CU_ASSERT(tvictim.self == NULL);
	ut_time_advance_us(2000);
	ut_poll_thread(0);
	CU_ASSERT(self_a.runs == 1 && self_t.runs == 1 && victim.runs == 0 && tvictim.runs == 0);
	CU_ASSERT(killer.runs == 3);
	CU_ASSERT(vd_thread_get_first_poller(ut_thread(0)) == killer.self);
	CU_ASSERT(vd_thread_get_next_poller(ut_thread(0), killer.self) == NULL);
	vd_poller_unregister(&killer.self);
	CU_ASSERT(vd_thread_is_idle(ut_thread(0)));
	ut_thread_fini();
}

static void
test_poller_iteration(void)
{
	struct test_poller a = { 0 }, b = { 0 }, c = { 0 };
	struct vd_poller *p;
	int n = 0;

	CU_ASSERT_FATAL(ut_thread_init(1) == 0);
	a.self = vd_poller_register(test_poller_fn, &a, 0, "a");
	b.self = vd_poller_register(test_poller_fn, &b, 10, "b");
	c.self = vd_poller_register(test_poller_fn, &c, 0, "c");
	vd_poller_pause(c.self);
	for (p = vd_thread_get_first_poller(ut_thread(0)); p != NULL;
	     p = vd_thread_get_next_poller(ut_thread(0), p)) {
		n++;
	}
	CU_ASSERT(n == 3);
	vd_poller_unregister(&a.self);
	vd_poller_unregister(&b.self);
	vd_poller_unregister(&c.self);
	CU_ASSERT(vd_thread_get_first_poller(ut_thread(0)) == NULL);
	ut_thread_fini();
}

/* Threads ----------------------------------------------------------------------------------- */

static void
test_thread_registry_exit_destroy(void)
{
	struct vd_thread *t, *it;
	struct vd_cpuset mask;
	uint64_t id;
	uint32_t n = 0;

	CU_ASSERT_FATAL(ut_thread_init(2) == 0);
	CU_ASSERT(vd_thread_get_app_thread() == ut_thread(0));
	CU_ASSERT(strcmp(vd_thread_get_name(ut_thread(1)), "ut_thread1") == 0);
	vd_cpuset_zero(&mask);
	vd_cpuset_set_cpu(&mask, 1, true);
	t = vd_thread_create(NULL, &mask);
	CU_ASSERT_FATAL(t != NULL);
	id = vd_thread_get_id(t);
	CU_ASSERT(vd_thread_get_by_id(id) == t);
	CU_ASSERT(vd_cpuset_equal(vd_thread_get_cpumask(t), &mask));
	CU_ASSERT(strncmp(vd_thread_get_name(t), "thread", 6) == 0);
	CU_ASSERT(vd_thread_get_count() == 3);
	for (it = vd_thread_get_first(); it != NULL; it = vd_thread_get_next(it)) {
		n++;
	}
	CU_ASSERT(n == 3);
	vd_thread_set_sched_ctx(t, &n);
	CU_ASSERT(vd_thread_get_sched_ctx(t) == &n);

	vd_set_thread(t);
	CU_ASSERT(!vd_thread_is_exited(t));
	vd_thread_exit(t);
	CU_ASSERT(vd_thread_is_exited(t));
	/* Messages still run on an exited thread until it is destroyed. */
	reset_record();
	CU_ASSERT(vd_thread_send_msg(t, record_msg, (void *)7) == 0);
	CU_ASSERT(!vd_thread_is_idle(t));
	vd_thread_poll(t, 0, ut_now());
	CU_ASSERT(g_norder == 1);
	CU_ASSERT(vd_thread_is_idle(t));
	vd_set_thread(NULL);
	vd_thread_destroy(t);
	CU_ASSERT(vd_thread_get_by_id(id) == NULL);
	CU_ASSERT(vd_thread_get_count() == 2);
	ut_thread_fini();
	CU_ASSERT(vd_thread_get_count() == 0);
}

static int g_sched_calls;
static int g_sched_rc;

static int
test_sched(struct vd_thread *t)
{
	g_sched_calls++;
	return g_sched_rc;
}

static void
test_thread_scheduler(void)
{
	struct vd_thread *t;

	CU_ASSERT_FATAL(vd_thread_lib_init(test_sched, 0) == 0);
	CU_ASSERT(vd_thread_lib_init(test_sched, 0) == -EALREADY);
	g_sched_rc = -EINVAL;
	CU_ASSERT(vd_thread_create("refused", NULL) == NULL);
	CU_ASSERT(g_sched_calls == 1);
	CU_ASSERT(vd_thread_get_count() == 0);
	CU_ASSERT(vd_thread_get_app_thread() == NULL);
	g_sched_rc = 0;
	t = vd_thread_create("ok", NULL);
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT(g_sched_calls == 2);
	vd_set_thread(t);
	vd_thread_exit(t);
	vd_set_thread(NULL);
	vd_thread_destroy(t);
	vd_thread_lib_fini();
}

struct fe_thread_ctx {
	struct vd_thread	*visited[8];
	int			n;
	struct vd_thread	*cpl_on;
	int			cpl_runs;
};

static void
fe_thread_fn(void *arg)
{
	struct fe_thread_ctx *c = arg;

	c->visited[c->n++] = vd_get_thread();
}

static void
fe_thread_cpl(void *arg)
{
	struct fe_thread_ctx *c = arg;

	c->cpl_on = vd_get_thread();
	c->cpl_runs++;
}

static void
test_for_each_thread(void)
{
	struct fe_thread_ctx c = { 0 };

	CU_ASSERT_FATAL(ut_thread_init(4) == 0);
	/* An exited thread is skipped. */
	ut_set_thread(2);
	vd_thread_exit(ut_thread(2));
	ut_set_thread(1);
	CU_ASSERT(vd_for_each_thread(fe_thread_fn, &c, fe_thread_cpl) == 0);
	CU_ASSERT(c.n == 0 && c.cpl_runs == 0);	/* asynchronous */
	ut_poll_all();
	CU_ASSERT_FATAL(c.n == 3);
	CU_ASSERT(c.visited[0] == ut_thread(0));
	CU_ASSERT(c.visited[1] == ut_thread(1));
	CU_ASSERT(c.visited[2] == ut_thread(3));
	CU_ASSERT(c.cpl_runs == 1);
	CU_ASSERT(c.cpl_on == ut_thread(1));
	vd_set_thread(NULL);
	CU_ASSERT(vd_for_each_thread(fe_thread_fn, &c, fe_thread_cpl) == -EINVAL);
	ut_thread_fini();
}

static int
busy_poller(void *arg)
{
	return *(int *)arg;
}

static void
test_thread_stats(void)
{
	struct vd_thread_stats st;
	struct vd_poller *p;
	int rc = VD_POLLER_BUSY;
	uint64_t t0, t1, t2;

	CU_ASSERT_FATAL(ut_thread_init(1) == 0);
	CU_ASSERT(vd_thread_get_stats(ut_thread(0), &st) == 0);
	CU_ASSERT(st.busy_tsc == 0 && st.idle_tsc == 0);
	p = vd_poller_register(busy_poller, &rc, 0, "busy");
	t0 = ut_now();
	ut_time_advance_us(100);
	t1 = ut_now();
	ut_poll_thread(0);
	rc = VD_POLLER_IDLE;
	ut_time_advance_us(30);
	t2 = ut_now();
	ut_poll_thread(0);
	CU_ASSERT(vd_thread_get_stats(ut_thread(0), &st) == 0);
	CU_ASSERT(t1 - t0 >= ut_us_to_ticks(100) && t1 - t0 <= ut_us_to_ticks(100) + 1);
	CU_ASSERT(st.busy_tsc == t1 - t0);
	CU_ASSERT(st.idle_tsc == t2 - t1);
	CU_ASSERT(vd_thread_get_stats(NULL, &st) == -EINVAL);
	vd_poller_unregister(&p);
	ut_thread_fini();
}

/* I/O channels ------------------------------------------------------------------------------ */

struct dev_ctx {
	int		creates;
	int		destroys;
	int		create_rc;
	int		unregistered;
	struct vd_thread *unregister_on;
};

struct ch_ctx {
	struct vd_thread	*thread;
	uint64_t		magic;
};

static struct dev_ctx g_dev;

static int
dev_create(void *io_device, void *buf)
{
	struct dev_ctx *d = io_device;
	struct ch_ctx *c = buf;

	if (d->create_rc != 0) {
		return d->create_rc;
	}
	d->creates++;
	c->thread = vd_get_thread();
	c->magic = 0xfeed;
	return 0;
}

static void
dev_destroy(void *io_device, void *buf)
{
	struct dev_ctx *d = io_device;
	struct ch_ctx *c = buf;

	CU_ASSERT(c->thread == vd_get_thread());
	CU_ASSERT(c->magic == 0xfeed);
	d->destroys++;
}

static void
dev_unregister_cb(void *io_device)
{
	struct dev_ctx *d = io_device;

	d->unregistered++;
	d->unregister_on = vd_get_thread();
}

static void
test_channel_refcount(void)
{
	struct vd_io_channel *ch, *ch2, *ch1;
	struct ch_ctx *c;

	memset(&g_dev, 0, sizeof(g_dev));
	CU_ASSERT_FATAL(ut_thread_init(2) == 0);
	vd_io_device_register(&g_dev, dev_create, dev_destroy, sizeof(struct ch_ctx), "dev");
	ch = vd_get_io_channel(&g_dev);
	CU_ASSERT_FATAL(ch != NULL);
	CU_ASSERT(g_dev.creates == 1);
	c = vd_io_channel_get_ctx(ch);
	CU_ASSERT(c->thread == ut_thread(0));
	CU_ASSERT(vd_io_channel_from_ctx(c) == ch);
	CU_ASSERT(vd_io_channel_get_thread(ch) == ut_thread(0));
	CU_ASSERT(vd_io_channel_get_io_device(ch) == &g_dev);
	CU_ASSERT(((uintptr_t)c % 16) == 0);
	ch2 = vd_get_io_channel(&g_dev);
	CU_ASSERT(ch2 == ch);
	CU_ASSERT(g_dev.creates == 1);
	CU_ASSERT(!vd_thread_is_idle(ut_thread(0)));

	ut_set_thread(1);
	ch1 = vd_get_io_channel(&g_dev);
	CU_ASSERT_FATAL(ch1 != NULL && ch1 != ch);
	CU_ASSERT(g_dev.creates == 2);

	ut_set_thread(0);
	vd_put_io_channel(ch2);
	vd_put_io_channel(ch);
	CU_ASSERT(g_dev.destroys == 0);		/* deferred */
	/* Taken again before the destroy message ran: survives it. */
	ch = vd_get_io_channel(&g_dev);
	CU_ASSERT(g_dev.creates == 2);
	ut_poll_all();
	CU_ASSERT(g_dev.destroys == 0);
	vd_put_io_channel(ch);
	ut_poll_all();
	CU_ASSERT(g_dev.destroys == 1);
	CU_ASSERT(vd_thread_is_idle(ut_thread(0)));

	ut_set_thread(1);
	vd_put_io_channel(ch1);
	ut_poll_all();
	CU_ASSERT(g_dev.destroys == 2);
	ut_set_thread(0);
	vd_io_device_unregister(&g_dev, dev_unregister_cb);
	CU_ASSERT(g_dev.unregistered == 0);	/* asynchronous even when nothing is held */
	ut_poll_all();
	CU_ASSERT(g_dev.unregistered == 1);
	ut_thread_fini();
}

static void
test_channel_create_failure(void)
{
	memset(&g_dev, 0, sizeof(g_dev));
	CU_ASSERT_FATAL(ut_thread_init(1) == 0);
	CU_ASSERT(vd_get_io_channel(&g_dev) == NULL);	/* unknown device */
	vd_io_device_register(&g_dev, dev_create, dev_destroy, sizeof(struct ch_ctx), "dev");
	vd_io_device_register(&g_dev, dev_create, dev_destroy, 8, "dup");	/* refused */
	g_dev.create_rc = -ENOMEM;
	CU_ASSERT(vd_get_io_channel(&g_dev) == NULL);
	CU_ASSERT(vd_thread_is_idle(ut_thread(0)));
	g_dev.create_rc = 0;
	vd_set_thread(NULL);
	CU_ASSERT(vd_get_io_channel(&g_dev) == NULL);	/* no current thread */
	ut_set_thread(0);
	/* The failed create left no reference: unregister completes at once. */
	vd_io_device_unregister(&g_dev, dev_unregister_cb);
	ut_poll_all();
	CU_ASSERT(g_dev.unregistered == 1);
	CU_ASSERT(g_dev.creates == 0 && g_dev.destroys == 0);
	ut_thread_fini();
}

static void
test_io_device_unregister_waits(void)
{
	struct vd_io_channel *ch0, *ch1;

	memset(&g_dev, 0, sizeof(g_dev));
	CU_ASSERT_FATAL(ut_thread_init(3) == 0);
	vd_io_device_register(&g_dev, dev_create, dev_destroy, sizeof(struct ch_ctx), "dev");
	ch0 = vd_get_io_channel(&g_dev);
	ut_set_thread(1);
	ch1 = vd_get_io_channel(&g_dev);
	CU_ASSERT_FATAL(ch0 != NULL && ch1 != NULL);

	ut_set_thread(2);
	vd_io_device_unregister(&g_dev, dev_unregister_cb);
	CU_ASSERT(vd_get_io_channel(&g_dev) == NULL);	/* no new channel */
	ut_set_thread(1);
	CU_ASSERT(vd_get_io_channel(&g_dev) == NULL);	/* nor an existing one */
	ut_poll_all();
	CU_ASSERT(g_dev.unregistered == 0);
	vd_put_io_channel(ch1);
	ut_poll_all();
	CU_ASSERT(g_dev.destroys == 1);
	CU_ASSERT(g_dev.unregistered == 0);
	ut_set_thread(0);
	vd_put_io_channel(ch0);
	ut_poll_all();
	CU_ASSERT(g_dev.destroys == 2);
	CU_ASSERT(g_dev.unregistered == 1);
	CU_ASSERT(g_dev.unregister_on == ut_thread(2));
	/* The same pointer can be registered again afterwards. */
	vd_io_device_register(&g_dev, dev_create, dev_destroy, sizeof(struct ch_ctx), "dev");
	ch0 = vd_get_io_channel(&g_dev);
	CU_ASSERT(ch0 != NULL);
	vd_put_io_channel(ch0);
	vd_io_device_unregister(&g_dev, NULL);
	ut_thread_fini();
}

struct fe_ch_ctx {
	int			visits;
	int			stop_at;
	int			stop_status;
	struct vd_thread	*visited[8];
	int			cpl_status;
	int			cpl_runs;
	struct vd_thread	*cpl_on;
	bool			defer;
	struct vd_io_channel_iter *pending;
};

static void
fe_ch_fn(struct vd_io_channel_iter *i)
{
	struct fe_ch_ctx *c = vd_io_channel_iter_get_ctx(i);
	struct vd_io_channel *ch = vd_io_channel_iter_get_channel(i);
	struct ch_ctx *cc = vd_io_channel_get_ctx(ch);
	int status = 0;

	CU_ASSERT(cc->thread == vd_get_thread());
	CU_ASSERT(vd_io_channel_iter_get_io_device(i) == &g_dev);
	c->visited[c->visits++] = vd_get_thread();
	if (c->visits == c->stop_at) {
		status = c->stop_status;
	}
	if (c->defer) {
		c->pending = i;
		return;
	}
	vd_for_each_channel_continue(i, status);
}

static void
fe_ch_cpl(struct vd_io_channel_iter *i, int status)
{
	struct fe_ch_ctx *c = vd_io_channel_iter_get_ctx(i);

	c->cpl_status = status;
	c->cpl_runs++;
	c->cpl_on = vd_get_thread();
}

static void
test_for_each_channel(void)
{
	struct vd_io_channel *ch[4] = { 0 };
	struct fe_ch_ctx c = { 0 };
	int i;

	memset(&g_dev, 0, sizeof(g_dev));
	CU_ASSERT_FATAL(ut_thread_init(4) == 0);
	vd_io_device_register(&g_dev, dev_create, dev_destroy, sizeof(struct ch_ctx), "dev");
	/* Channels on threads 0, 1 and 3 only. */
	for (i = 0; i < 4; i++) {
		if (i != 2) {
			ut_set_thread(i);
			ch[i] = vd_get_io_channel(&g_dev);
		}
	}
	ut_set_thread(2);
	vd_for_each_channel(&g_dev, fe_ch_fn, &c, fe_ch_cpl);
	ut_poll_all();
	CU_ASSERT_FATAL(c.visits == 3);
	CU_ASSERT(c.visited[0] == ut_thread(0));
	CU_ASSERT(c.visited[1] == ut_thread(1));
	CU_ASSERT(c.visited[2] == ut_thread(3));
	CU_ASSERT(c.cpl_runs == 1 && c.cpl_status == 0 && c.cpl_on == ut_thread(2));

	/* A non-zero status stops the iteration and reaches the completion. */
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	c.stop_status = -EIO;
	vd_for_each_channel(&g_dev, fe_ch_fn, &c, fe_ch_cpl);
	ut_poll_all();
	CU_ASSERT(c.visits == 2);
	CU_ASSERT(c.cpl_runs == 1 && c.cpl_status == -EIO);

	/* The iteration holds the channel and the device while a step is outstanding. */
	memset(&c, 0, sizeof(c));
	c.defer = true;
	vd_for_each_channel(&g_dev, fe_ch_fn, &c, fe_ch_cpl);
	ut_poll_all();
	CU_ASSERT_FATAL(c.pending != NULL && c.visits == 1);
	ut_set_thread(0);
	vd_put_io_channel(ch[0]);
	ut_set_thread(2);
	vd_io_device_unregister(&g_dev, dev_unregister_cb);
	ut_poll_all();
	CU_ASSERT(g_dev.destroys == 0 && g_dev.unregistered == 0);
	c.defer = false;
	ut_set_thread(0);
	vd_for_each_channel_continue(c.pending, 0);
	ut_poll_all();
	CU_ASSERT(g_dev.destroys == 1);
	CU_ASSERT(c.visits == 3 && c.cpl_runs == 1);
	ut_set_thread(1);
	vd_put_io_channel(ch[1]);
	ut_set_thread(3);
	vd_put_io_channel(ch[3]);
	ut_poll_all();
	CU_ASSERT(g_dev.destroys == 3 && g_dev.unregistered == 1);

	/* Unknown device: the completion still runs once, with -ENODEV. */
	memset(&c, 0, sizeof(c));
	vd_for_each_channel(&g_dev, fe_ch_fn, &c, fe_ch_cpl);
	ut_poll_all();
	CU_ASSERT(c.visits == 0 && c.cpl_runs == 1 && c.cpl_status == -ENODEV);
	ut_thread_fini();
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int nfail;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	suite = CU_add_suite("thread", NULL, NULL);
	CU_ADD_TEST(suite, test_msg_order_cross_thread);
	CU_ADD_TEST(suite, test_msg_batch_limit);
	CU_ADD_TEST(suite, test_msg_ring_full);
	CU_ADD_TEST(suite, test_active_poller);
	CU_ADD_TEST(suite, test_timed_poller);
	CU_ADD_TEST(suite, test_timed_poller_order);
	CU_ADD_TEST(suite, test_poller_pause_resume);
	CU_ADD_TEST(suite, test_poller_unregister_in_callback);
	CU_ADD_TEST(suite, test_poller_iteration);
	CU_ADD_TEST(suite, test_thread_registry_exit_destroy);
	CU_ADD_TEST(suite, test_thread_scheduler);
	CU_ADD_TEST(suite, test_for_each_thread);
	CU_ADD_TEST(suite, test_thread_stats);
	CU_ADD_TEST(suite, test_channel_refcount);
	CU_ADD_TEST(suite, test_channel_create_failure);
	CU_ADD_TEST(suite, test_io_device_unregister_waits);
	CU_ADD_TEST(suite, test_for_each_channel);
	CU_ADD_TEST(suite, test_thread_get_now);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail != 0;
}
