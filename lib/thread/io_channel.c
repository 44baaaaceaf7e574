/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * I/O devices and their per-thread, reference-counted channels; vd_for_each_channel().
 *
 * Invariants:
 * - g_io_devices lists registered devices; an unregistered device leaves the list at once but
 *   lives on until dev->refcnt (channels alive + iterations in progress, under g_devlist_mutex)
 *   drops to 0; then its unregister_cb runs, by message, on the unregistering thread.
 * - A channel belongs to one thread, is linked in thread->channels (changed under
 *   g_devlist_mutex, so other threads may walk it under that lock; the owner reads it
 *   lock-free) and counts user references in ch->ref (owner thread only).  When ref drops to 0
 *   a single destroy message is queued (destroy_pending); if the channel was taken again
 *   before it runs, the message does nothing.
 * - vd_for_each_channel() visits threads in registry order; the next thread holding a channel
 *   is chosen and messaged under g_threads_mutex + g_devlist_mutex; each step holds a channel
 *   reference while the user's step function runs.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vhostd/log.h"
#include "vhostd/thread.h"
#include "thread_internal.h"

struct io_device {
	void				*io_device;
	vd_io_channel_create_cb		create_cb;
	vd_io_channel_destroy_cb	destroy_cb;
	vd_io_device_unregister_cb	unregister_cb;
	struct vd_thread		*unregister_thread;
	uint32_t			ctx_size;
	uint32_t			refcnt;		/* under g_devlist_mutex */
	bool				unregistered;	/* written under g_devlist_mutex */
	TAILQ_ENTRY(io_device)		link;
	char				name[VD_MAX_THREAD_NAME_LEN];
};

struct vd_io_channel_iter {
	struct io_device		*dev;
	void				*io_device;
	vd_channel_msg			fn;
	void				*ctx;
	vd_channel_for_each_cpl		cpl;
	struct vd_thread		*orig;
	struct vd_thread		*cur;
	struct vd_io_channel		*ch;
	int				status;
};

static TAILQ_HEAD(, io_device) g_io_devices = TAILQ_HEAD_INITIALIZER(g_io_devices);

static struct io_device *
dev_find(void *io_device)
{
	struct io_device *dev;

	TAILQ_FOREACH(dev, &g_io_devices, link) {
		if (dev->io_device == io_device) {
			return dev;
		}
	}
	return NULL;
}

void
vd_io_device_register(void *io_device, vd_io_channel_create_cb create_cb,
		      vd_io_channel_destroy_cb destroy_cb, uint32_t ctx_size, const char *name)
{
	struct io_device *dev;

	if (io_device == NULL || create_cb == NULL || destroy_cb == NULL) {
		VD_ERRLOG("io_device %s: missing device or callbacks\n", name ? name : "");
		return;
	}
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL) {
		VD_ERRLOG("cannot allocate io_device %s\n", name ? name : "");
		return;
	}
	dev->io_device = io_device;
	dev->create_cb = create_cb;
	dev->destroy_cb = destroy_cb;
	dev->ctx_size = ctx_size;
	vd_strcpy_trunc(dev->name, sizeof(dev->name), name ? name : "io_device");

	pthread_mutex_lock(&g_devlist_mutex);
	if (dev_find(io_device) != NULL) {
		pthread_mutex_unlock(&g_devlist_mutex);
		VD_ERRLOG("io_device %s (%p) already registered\n", dev->name, io_device);
		free(dev);
		return;
	}
	TAILQ_INSERT_TAIL(&g_io_devices, dev, link);
	pthread_mutex_unlock(&g_devlist_mutex);
	VD_INFOLOG(thread, "registered io_device %s (%p)\n", dev->name, io_device);
}

static void
dev_unregister_done(void *arg)
{
	struct io_device *dev = arg;

	VD_INFOLOG(thread, "io_device %s unregistered\n", dev->name);
	if (dev->unregister_cb != NULL) {
		dev->unregister_cb(dev->io_device);
	}
	free(dev);
}

/* Drop a device reference.  Called with g_devlist_mutex held. */
static void
dev_release_locked(struct io_device *dev)
{
	int rc;

	assert(dev->refcnt > 0);
	if (--dev->refcnt != 0 || !dev->unregistered) {
		return;
	}
	rc = vd_thread_send_msg(dev->unregister_thread, dev_unregister_done, dev);
	if (rc != 0) {
		VD_ERRLOG("io_device %s: cannot complete unregister: %s\n", dev->name,
			  strerror(-rc));
	}
}

void
vd_io_device_unregister(void *io_device, vd_io_device_unregister_cb unregister_cb)
{
	struct vd_thread *t = vd_get_thread();
	struct io_device *dev;
	bool done;

	if (t == NULL) {
		t = vd_thread_get_app_thread();
	}
	pthread_mutex_lock(&g_devlist_mutex);
	dev = dev_find(io_device);
	if (dev == NULL) {
		pthread_mutex_unlock(&g_devlist_mutex);
		VD_ERRLOG("io_device %p is not registered\n", io_device);
		return;
	}
	TAILQ_REMOVE(&g_io_devices, dev, link);
	__atomic_store_n(&dev->unregistered, true, __ATOMIC_RELAXED);
	dev->unregister_cb = unregister_cb;
	dev->unregister_thread = t;
	done = dev->refcnt == 0;
	VD_INFOLOG(thread, "unregistering io_device %s, %u references\n", dev->name, dev->refcnt);
	pthread_mutex_unlock(&g_devlist_mutex);

	if (!done) {
		return;
	}
	if (t == NULL || vd_thread_send_msg(t, dev_unregister_done, dev) != 0) {
		/* No thread to defer to: finish now rather than leak the device. */
		dev_unregister_done(dev);
	}
}

static struct vd_io_channel *
thread_find_channel(struct vd_thread *t, struct io_device *dev)
{
	struct vd_io_channel *ch;

	TAILQ_FOREACH(ch, &t->channels, link) {
		if (ch->dev == dev) {
			return ch;
		}
	}
	return NULL;
}

static struct vd_io_channel *
channel_create(struct vd_thread *t, void *io_device)
{
	struct vd_io_channel *ch;
	struct io_device *dev;
	int rc;

	pthread_mutex_lock(&g_devlist_mutex);
	dev = dev_find(io_device);
	if (dev == NULL) {
		pthread_mutex_unlock(&g_devlist_mutex);
		return NULL;
	}
	ch = calloc(1, sizeof(*ch) + dev->ctx_size);
	if (ch == NULL) {
		pthread_mutex_unlock(&g_devlist_mutex);
		VD_ERRLOG("cannot allocate channel for %s\n", dev->name);
		return NULL;
	}
	dev->refcnt++;
	pthread_mutex_unlock(&g_devlist_mutex);

	ch->thread = t;
	ch->dev = dev;
	ch->ref = 1;
	/* The device cannot finish unregistering while we hold a reference: no lock needed. */
	rc = dev->create_cb(io_device, ch->ctx);
	pthread_mutex_lock(&g_devlist_mutex);
	if (rc != 0) {
		dev_release_locked(dev);
		pthread_mutex_unlock(&g_devlist_mutex);
		VD_ERRLOG("%s: cannot create channel on thread %s: %s\n", dev->name, t->name,
			  strerror(rc < 0 ? -rc : rc));
		free(ch);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&t->channels, ch, link);
	t->num_channels++;
	pthread_mutex_unlock(&g_devlist_mutex);
	return ch;
}

struct vd_io_channel *
vd_get_io_channel(void *io_device)
{
	struct vd_thread *t = vd_get_thread();
	struct vd_io_channel *ch;

	if (t == NULL) {
		VD_ERRLOG("no current thread to get a channel on\n");
		return NULL;
	}
	TAILQ_FOREACH(ch, &t->channels, link) {
		if (ch->dev->io_device == io_device &&
		    !__atomic_load_n(&ch->dev->unregistered, __ATOMIC_RELAXED)) {
			ch->ref++;
			return ch;
		}
	}
	return channel_create(t, io_device);
}

static void
channel_destroy(struct vd_io_channel *ch)
{
	struct vd_thread *t = ch->thread;
	struct io_device *dev = ch->dev;

	dev->destroy_cb(dev->io_device, ch->ctx);
	pthread_mutex_lock(&g_devlist_mutex);
	TAILQ_REMOVE(&t->channels, ch, link);
	t->num_channels--;
	dev_release_locked(dev);
	pthread_mutex_unlock(&g_devlist_mutex);
	free(ch);
}

static void
put_channel_msg(void *arg)
{
	struct vd_io_channel *ch = arg;

	ch->destroy_pending = false;
	if (ch->ref == 0) {
		channel_destroy(ch);
	}
}

void
vd_put_io_channel(struct vd_io_channel *ch)
{
	int rc;

	if (ch == NULL) {
		return;
	}
	assert(ch->thread == vd_get_thread());
	assert(ch->ref > 0);
	if (ch->ref == 0) {
		VD_ERRLOG("%s: channel released too many times\n", ch->dev->name);
		return;
	}
	if (--ch->ref != 0 || ch->destroy_pending) {
		return;
	}
	ch->destroy_pending = true;
	rc = vd_thread_send_msg(ch->thread, put_channel_msg, ch);
	if (rc != 0) {
		/* Cannot defer: the caller is on the owning thread, so destroying now is safe. */
		ch->destroy_pending = false;
		channel_destroy(ch);
	}
}

void
thread_free_channels(struct vd_thread *t)
{
	struct vd_io_channel *ch;

	pthread_mutex_lock(&g_devlist_mutex);
	while ((ch = TAILQ_FIRST(&t->channels)) != NULL) {
		VD_ERRLOG("thread %s: channel of %s still held (%u refs) at destroy\n", t->name,
			  ch->dev->name, ch->ref);
		TAILQ_REMOVE(&t->channels, ch, link);
		t->num_channels--;
		dev_release_locked(ch->dev);
		free(ch);
	}
	pthread_mutex_unlock(&g_devlist_mutex);
}

void
thread_free_io_devices(void)
{
	struct io_device *dev;

	pthread_mutex_lock(&g_devlist_mutex);
	while ((dev = TAILQ_FIRST(&g_io_devices)) != NULL) {
		VD_ERRLOG("io_device %s still registered at library fini\n", dev->name);
		TAILQ_REMOVE(&g_io_devices, dev, link);
		free(dev);
	}
	pthread_mutex_unlock(&g_devlist_mutex);
}

void *
vd_io_channel_get_ctx(struct vd_io_channel *ch)
{
	return ch->ctx;
}

struct vd_io_channel *
vd_io_channel_from_ctx(void *ctx)
{
	return VD_CONTAINEROF(ctx, struct vd_io_channel, ctx);
}

struct vd_thread *
vd_io_channel_get_thread(struct vd_io_channel *ch)
{
	return ch->thread;
}

void *
vd_io_channel_get_io_device(struct vd_io_channel *ch)
{
	return ch->dev->io_device;
}

/* for_each_channel -------------------------------------------------------------------------- */

static void for_each_channel_step(void *arg);

static void
for_each_channel_cpl(void *arg)
{
	struct vd_io_channel_iter *i = arg;

	i->cpl(i, i->status);
	if (i->dev != NULL) {
		pthread_mutex_lock(&g_devlist_mutex);
		dev_release_locked(i->dev);
		pthread_mutex_unlock(&g_devlist_mutex);
	}
	free(i);
}

static void
for_each_channel_finish(struct vd_io_channel_iter *i)
{
	int rc;

	rc = vd_thread_send_msg(i->orig, for_each_channel_cpl, i);
	if (rc != 0) {
		VD_ERRLOG("for_each_channel %s: cannot complete on %s: %s\n", i->dev->name,
			  i->orig->name, strerror(-rc));
		pthread_mutex_lock(&g_devlist_mutex);
		dev_release_locked(i->dev);
		pthread_mutex_unlock(&g_devlist_mutex);
		free(i);
	}
}

/* Message the next thread after i->cur that holds a channel of i->dev; or complete. */
static void
for_each_channel_advance(struct vd_io_channel_iter *i)
{
	struct vd_thread *t;
	int rc = -ENOENT;

	pthread_mutex_lock(&g_threads_mutex);
	pthread_mutex_lock(&g_devlist_mutex);
	t = i->cur ? TAILQ_NEXT(i->cur, link) : TAILQ_FIRST(&g_threads);
	for (; t != NULL; t = TAILQ_NEXT(t, link)) {
		if (thread_find_channel(t, i->dev) == NULL) {
			continue;
		}
		i->cur = t;
		rc = vd_thread_send_msg(t, for_each_channel_step, i);
		if (rc == 0) {
			break;
		}
		VD_ERRLOG("for_each_channel %s: skipping thread %s: %s\n", i->dev->name, t->name,
			  strerror(-rc));
	}
	pthread_mutex_unlock(&g_devlist_mutex);
	pthread_mutex_unlock(&g_threads_mutex);
	if (rc != 0) {
		for_each_channel_finish(i);
	}
}

static void
for_each_channel_step(void *arg)
{
	struct vd_io_channel_iter *i = arg;
	struct vd_io_channel *ch;

	ch = thread_find_channel(i->cur, i->dev);
	if (ch == NULL || ch->ref == 0) {
		/* Released since it was chosen: nothing to visit here. */
		for_each_channel_advance(i);
		return;
	}
	ch->ref++;
	i->ch = ch;
	i->fn(i);
}

void
vd_for_each_channel_continue(struct vd_io_channel_iter *i, int status)
{
	struct vd_io_channel *ch = i->ch;

	assert(i->cur == vd_get_thread());
	i->ch = NULL;
	vd_put_io_channel(ch);
	if (status != 0) {
		i->status = status;
		for_each_channel_finish(i);
		return;
	}
	for_each_channel_advance(i);
}

void
vd_for_each_channel(void *io_device, vd_channel_msg fn, void *ctx, vd_channel_for_each_cpl cpl)
{
	struct vd_io_channel_iter *i;
	struct io_device *dev;

	assert(vd_get_thread() != NULL);
	i = calloc(1, sizeof(*i));
	if (i == NULL) {
		VD_ERRLOG("cannot allocate channel iterator\n");
		return;
	}
	i->io_device = io_device;
	i->fn = fn;
	i->ctx = ctx;
	i->cpl = cpl;
	i->orig = vd_get_thread();

	pthread_mutex_lock(&g_devlist_mutex);
	dev = dev_find(io_device);
	if (dev != NULL) {
		dev->refcnt++;
	}
	pthread_mutex_unlock(&g_devlist_mutex);
	if (dev == NULL) {
		VD_ERRLOG("for_each_channel: io_device %p is not registered\n", io_device);
		i->status = -ENODEV;
		if (vd_thread_send_msg(i->orig, for_each_channel_cpl, i) != 0) {
			free(i);
		}
		return;
	}
	i->dev = dev;
	for_each_channel_advance(i);
}

struct vd_io_channel *
vd_io_channel_iter_get_channel(struct vd_io_channel_iter *i)
{
	return i->ch;
}

void *
vd_io_channel_iter_get_ctx(struct vd_io_channel_iter *i)
{
	return i->ctx;
}

void *
vd_io_channel_iter_get_io_device(struct vd_io_channel_iter *i)
{
	return i->io_device;
}
