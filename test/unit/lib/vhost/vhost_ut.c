/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Unit tests of lib/vhost/vhost.c: registration checks, accept, the start/stop hand-shake with
 * the data thread (start once after set-up, stop before a stop-class message, stop on
 * disconnect), start failure, unregister while running, and deferred replies of device-specific
 * messages across a disconnect.  Fake threads are polled by the
 * test; a client pthread plays the front-end over the real socket.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhost/vhost.c"
#include "ut_thread.h"
#include "vhost_frontend.h"
#include "common_ut.h"

static char g_dir[64];
static int g_starts, g_stops, g_start_rc, g_unreg_done;
static uint16_t g_started_queues;
static volatile int g_client_done;
static int g_client_rc;

static void
ut_start(struct vd_vhost_dev *dev, vd_vhost_done_cb done)
{
	uint16_t i;

	g_starts++;
	g_started_queues = 0;
	for (i = 0; i < 4; i++) {
		g_started_queues += vd_vhost_dev_get_vq(dev, i) != NULL;
	}
	CU_ASSERT_PTR_EQUAL(vd_get_thread(), vd_vhost_dev_get_thread(dev));
	done(dev, g_start_rc);
}

static void
ut_stop(struct vd_vhost_dev *dev, vd_vhost_done_cb done)
{
	g_stops++;
	CU_ASSERT_PTR_EQUAL(vd_get_thread(), vd_vhost_dev_get_thread(dev));
	done(dev, 0);
}

static uint64_t g_token;
static int g_pending_msgs;

static int
ut_custom(struct vd_vhost_dev *dev, struct vd_vhost_custom_msg *m)
{
	if (m->request != 90) {
		return VD_VHOST_MSG_NOT_MINE;
	}
	g_token = m->token;
	g_pending_msgs++;
	return VD_VHOST_MSG_PENDING;
}

static const struct vd_vhost_dev_ops g_ops = {
	.max_queues = 4,
	.start = ut_start,
	.stop = ut_stop,
	.custom_msg = ut_custom,
};

/* Poll the control thread (fake thread 0) and the device's data thread until the client is done
 * and nothing is pending. */
static void
pump(struct vd_vhost_dev *dev, int rounds)
{
	struct vd_thread *data = dev != NULL ? vd_vhost_dev_get_thread(dev) : NULL;
	int i;

	for (i = 0; i < rounds; i++) {
		ut_time_advance_us(CTRL_POLL_US);
		ut_poll_thread(0);
		if (data != NULL) {
			vd_thread_poll(data, 0, ut_now());
			vd_set_thread(ut_thread(0));
		}
		if (g_client_done) {
			usleep(100);
		} else {
			usleep(50);
		}
	}
}

static void
pump_until_client(struct vd_vhost_dev *dev)
{
	int i;

	for (i = 0; i < 40000 && !g_client_done; i++) {
		pump(dev, 1);
	}
	pump(dev, 20);
}

static void *
client_bringup(void *arg)
{
	struct vfe *fe = arg;

	g_client_rc = vfe_connect(fe, arg == NULL ? "" : (char *)fe + sizeof(*fe), 2000);
	g_client_rc = g_client_rc ?: vfe_bringup(fe, 1 << 20, 2, 16);
	g_client_done = 1;
	return NULL;
}

struct ut_client {
	struct vfe fe;
	char path[128];
};

static void
run_client(struct ut_client *c, struct vd_vhost_dev *dev)
{
	pthread_t t;

	g_client_done = 0;
	CU_ASSERT_FATAL(pthread_create(&t, NULL, client_bringup, c) == 0);
	pump_until_client(dev);
	pthread_join(t, NULL);
}

/* Let an unregistered device's data thread run its exit message, then free it. */
static void
reap(struct vd_thread *t)
{
	int i;

	for (i = 0; i < 100 && !vd_thread_is_exited(t); i++) {
		vd_thread_poll(t, 0, ut_now());
	}
	vd_set_thread(NULL);
	CU_ASSERT_TRUE(vd_thread_is_exited(t));
	vd_thread_destroy(t);
	vd_set_thread(ut_thread(0));
}

static void
unreg_cb(void *arg)
{
	g_unreg_done++;
}

static void
test_register_args(void)
{
	struct vd_vhost_dev *dev, *dev2;
	struct vd_vhost_dev_ops bad = g_ops;
	struct vd_thread *data;
	struct stat st;

	CU_ASSERT_EQUAL(vd_vhost_dev_register("", g_dir, &g_ops, NULL, NULL, &dev), -EINVAL);
	CU_ASSERT_EQUAL(vd_vhost_dev_register("a/b", g_dir, &g_ops, NULL, NULL, &dev), -EINVAL);
	bad.max_queues = VD_VHOST_MAX_QUEUES + 1;
	CU_ASSERT_EQUAL(vd_vhost_dev_register("x", g_dir, &bad, NULL, NULL, &dev), -EINVAL);
	bad.max_queues = 1;
	bad.start = NULL;
	CU_ASSERT_EQUAL(vd_vhost_dev_register("x", g_dir, &bad, NULL, NULL, &dev), -EINVAL);
	CU_ASSERT_EQUAL(vd_vhost_dev_register("x", "/nonexistent/dir", &g_ops, NULL, NULL, &dev),
			-ENOENT);
	CU_ASSERT_EQUAL(vd_vhost_dev_register("dev0", g_dir, &g_ops, NULL, NULL, &dev), 0);
	CU_ASSERT_EQUAL(vd_vhost_dev_register("dev0", g_dir, &g_ops, NULL, NULL, &dev2), -EEXIST);
	CU_ASSERT_PTR_EQUAL(vd_vhost_dev_find("dev0"), dev);
	CU_ASSERT_EQUAL(stat(vd_vhost_dev_get_socket_path(dev), &st), 0);
	data = vd_vhost_dev_get_thread(dev);
	CU_ASSERT_EQUAL(vd_vhost_dev_unregister(dev, unreg_cb, NULL), 0);
	CU_ASSERT_EQUAL(vd_vhost_dev_unregister(dev, unreg_cb, NULL), -EBUSY);
	g_unreg_done = 0;
	pump(NULL, 3);
	reap(data);
	CU_ASSERT_EQUAL(g_unreg_done, 1);
	CU_ASSERT_PTR_NULL(vd_vhost_dev_find("dev0"));
	CU_ASSERT_NOT_EQUAL(stat(g_dir, &st), -1);
}

static void
test_lifecycle(void)
{
	struct ut_client *c = calloc(1, sizeof(*c));
	struct vd_vhost_dev *dev;
	struct {
		uint32_t index, num;
	} st = {1, 0};
	struct vd_thread *data;
	int starts, stops;

	CU_ASSERT_FATAL(vd_vhost_dev_register("dev1", g_dir, &g_ops, NULL, NULL, &dev) == 0);
	snprintf(c->path, sizeof(c->path), "%s/dev1", g_dir);
	g_starts = g_stops = 0;
	g_start_rc = 0;
	run_client(c, dev);
	CU_ASSERT_EQUAL(g_client_rc, 0);
	CU_ASSERT_TRUE(vd_vhost_dev_is_connected(dev));
	/* Started once the set-up went quiet (a slow client may cause an earlier start with one
	 * queue, always stopped again before the next change), and finally with both queues. */
	CU_ASSERT(g_starts >= 1 && g_stops == g_starts - 1);
	CU_ASSERT_EQUAL(g_started_queues, 2);
	CU_ASSERT_EQUAL(dev->state, VHOST_DEV_STARTED);
	starts = g_starts;
	stops = g_stops;

	/* A stop-class message stops first, then the device restarts with what is left. */
	CU_ASSERT_EQUAL(
		vfe_send(&c->fe, VHOST_USER_SET_VRING_ENABLE, VFE_FLAG_VERSION, &st, 8, NULL, 0),
		0);
	pump(dev, 20);
	CU_ASSERT_EQUAL(g_stops, stops + 1);
	CU_ASSERT_EQUAL(g_starts, starts + 1);
	CU_ASSERT_EQUAL(g_started_queues, 1);

	/* Disconnect: stop, state dropped, listening again. */
	vfe_close(&c->fe);
	pump(dev, 20);
	CU_ASSERT_EQUAL(g_stops, stops + 2);
	CU_ASSERT_FALSE(vd_vhost_dev_is_connected(dev));
	CU_ASSERT_EQUAL(dev->mem.nregions, 0);

	/* A failing start is not retried until the front-end changes something. */
	g_start_rc = -EIO;
	run_client(c, dev);
	pump(dev, 20);
	starts = g_starts;
	pump(dev, 20);
	CU_ASSERT_EQUAL(g_starts, starts);
	CU_ASSERT_EQUAL(dev->state, VHOST_DEV_STOPPED);
	CU_ASSERT_TRUE(dev->start_failed);
	g_start_rc = 0;
	st.num = 1;
	CU_ASSERT_EQUAL(
		vfe_send(&c->fe, VHOST_USER_SET_VRING_ENABLE, VFE_FLAG_VERSION, &st, 8, NULL, 0),
		0);
	pump(dev, 20);
	CU_ASSERT_EQUAL(g_starts, starts + 1);
	CU_ASSERT_EQUAL(dev->state, VHOST_DEV_STARTED);

	/* Unregister while running: stop, close, free. */
	g_unreg_done = 0;
	stops = g_stops;
	data = vd_vhost_dev_get_thread(dev);
	CU_ASSERT_EQUAL(vd_vhost_dev_unregister(dev, unreg_cb, NULL), 0);
	pump(dev, 20);
	reap(data);
	CU_ASSERT_EQUAL(g_stops, stops + 1);
	CU_ASSERT_EQUAL(g_unreg_done, 1);
	CU_ASSERT_TRUE(vfe_wait_closed(&c->fe, 1000));
	vfe_close(&c->fe);
	free(c);
}

static void
test_deferred_reply(void)
{
	struct ut_client *c = calloc(1, sizeof(*c));
	struct vd_vhost_dev *dev;
	struct vd_thread *data;
	struct vfe_msg r;
	uint64_t old, f;
	uint32_t x = 1, y = 2;

	CU_ASSERT_FATAL(vd_vhost_dev_register("dev2", g_dir, &g_ops, NULL, NULL, &dev) == 0);
	snprintf(c->path, sizeof(c->path), "%s/dev2", g_dir);
	g_start_rc = 0;
	run_client(c, dev);
	CU_ASSERT_EQUAL(g_client_rc, 0);

	/* While the reply is pending the next message is not read. */
	g_pending_msgs = 0;
	CU_ASSERT_EQUAL(vfe_send(&c->fe, 90, VFE_FLAG_VERSION, &x, 4, NULL, 0), 0);
	pump(dev, 10);
	CU_ASSERT_EQUAL(g_pending_msgs, 1);
	CU_ASSERT_EQUAL(
		vfe_send(&c->fe, VHOST_USER_GET_FEATURES, VFE_FLAG_VERSION, NULL, 0, NULL, 0), 0);
	pump(dev, 10);
	CU_ASSERT_EQUAL(vfe_recv(&c->fe, &r, 0), -ETIMEDOUT);
	CU_ASSERT_EQUAL(vd_vhost_dev_msg_reply(dev, g_token, &y, 4), 0);
	CU_ASSERT_EQUAL(vfe_recv(&c->fe, &r, 1000), 0);
	CU_ASSERT_EQUAL(r.request, 90);
	CU_ASSERT_EQUAL(*(uint32_t *)r.payload, 2);
	pump(dev, 10);
	CU_ASSERT_EQUAL(vfe_recv(&c->fe, &r, 1000), 0);
	CU_ASSERT_EQUAL(r.request, VHOST_USER_GET_FEATURES);
	memcpy(&f, r.payload, 8);
	CU_ASSERT_TRUE(f & (1ULL << VD_VHOST_F_PROTOCOL_FEATURES));

	/* Disconnect with a reply pending: clean close, the late reply goes nowhere. */
	CU_ASSERT_EQUAL(vfe_send(&c->fe, 90, VFE_FLAG_VERSION, &x, 4, NULL, 0), 0);
	pump(dev, 10);
	CU_ASSERT_EQUAL(g_pending_msgs, 2);
	old = g_token;
	vfe_close(&c->fe);
	pump(dev, 20);
	CU_ASSERT_FALSE(vd_vhost_dev_is_connected(dev));
	CU_ASSERT_EQUAL(vd_vhost_dev_msg_reply(dev, old, &y, 4), -ENOTCONN);

	/* A new front-end never gets the reply meant for the old one. */
	run_client(c, dev);
	CU_ASSERT_EQUAL(g_client_rc, 0);
	CU_ASSERT_TRUE(vd_vhost_dev_is_connected(dev));
	CU_ASSERT_EQUAL(vd_vhost_dev_msg_reply(dev, old, &y, 4), -ESTALE);
	CU_ASSERT_EQUAL(vfe_recv(&c->fe, &r, 0), -ETIMEDOUT);
	/* Unregister with a reply pending. */
	CU_ASSERT_EQUAL(vfe_send(&c->fe, 90, VFE_FLAG_VERSION, &x, 4, NULL, 0), 0);
	pump(dev, 10);
	CU_ASSERT_EQUAL(g_pending_msgs, 3);
	CU_ASSERT_NOT_EQUAL(g_token, old);
	g_unreg_done = 0;
	data = vd_vhost_dev_get_thread(dev);
	CU_ASSERT_EQUAL(vd_vhost_dev_unregister(dev, unreg_cb, NULL), 0);
	pump(dev, 20);
	reap(data);
	CU_ASSERT_EQUAL(g_unreg_done, 1);
	CU_ASSERT_TRUE(vfe_wait_closed(&c->fe, 1000));
	vfe_close(&c->fe);
	free(c);
}

int
main(void)
{
	CU_pSuite suite;
	int rc;

	snprintf(g_dir, sizeof(g_dir), "/tmp/vhost_ut.XXXXXX");
	if (mkdtemp(g_dir) == NULL || CU_initialize_registry() != CUE_SUCCESS ||
	    ut_thread_init(1) != 0) {
		return 1;
	}
	vd_vhost_init();
	suite = CU_add_suite("vhost", NULL, NULL);
	CU_ADD_TEST(suite, test_register_args);
	CU_ADD_TEST(suite, test_lifecycle);
	CU_ADD_TEST(suite, test_deferred_reply);
	rc = ut_run(suite);
	ut_thread_fini();
	rmdir(g_dir);
	return rc;
}
