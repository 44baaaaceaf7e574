/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Private structures of lib/bdev, shared by bdev.c (registry, descriptors, removal),
 * bdev_io.c (channels and the I/O path) and bdev_rpc.c (RPCs, subsystem).
 */
#ifndef VD_BDEV_INTERNAL_H
#define VD_BDEV_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "vhostd/bdev.h"
#include "vhostd/bdev_module.h"
#include "vhostd/log.h"
#include "vhostd/thread.h"

VD_LOG_FLAG_DECLARE(bdev);

/** bdev_io objects per channel, allocated when the channel is created. */
#define BDEV_IO_POOL_SIZE	1024
/** Size of the shared zero buffer used to emulate WRITE_ZEROES with WRITEs. */
#define BDEV_ZERO_BUF_SIZE	(1024 * 1024)
/** Children of one split UNMAP/WRITE_ZEROES in flight at once. */
#define BDEV_SPLIT_MAX_CHILDREN	8
/** Period of the NOMEM retry poller while parked I/O exists. */
#define BDEV_NOMEM_RETRY_US	1000
#define BDEV_MAX_CLAIMER_LEN	128

enum bdev_state {
	BDEV_STATE_READY,
	BDEV_STATE_REMOVING,	/* unregistering: no new open, no new I/O */
};

struct bdev_alias {
	TAILQ_ENTRY(bdev_alias)	link;
	char			name[VD_BDEV_MAX_NAME_LEN];
};

struct vd_bdev_desc {
	struct vd_bdev		*bdev;
	struct vd_thread	*thread;	/* opener; every call on the desc happens here */
	vd_bdev_event_cb	event_cb;
	void			*event_ctx;
	bool			write;
	bool			closed;		/* closed while event messages were in flight */
	uint32_t		refs;		/* queued event messages (desc thread only) */
	TAILQ_ENTRY(vd_bdev_desc) link;		/* bi->descs, under bi->mutex */
};

struct bdev_internal {
	struct vd_bdev		*bdev;
	TAILQ_ENTRY(bdev_internal) link;	/* g_bdevs, under g_bdev_mutex */
	TAILQ_HEAD(, bdev_alias) aliases;	/* under g_bdev_mutex */
	pthread_mutex_t		mutex;		/* descs, claim, closed_stat */
	TAILQ_HEAD(, vd_bdev_desc) descs;
	int			state;		/* written under g_bdev_mutex; read relaxed */
	struct vd_bdev_desc	*claim_desc;
	char			claimer[BDEV_MAX_CLAIMER_LEN];
	char			name[VD_BDEV_MAX_NAME_LEN];	/* copy for logs after destruct */
	uint32_t		blocklen_shift;
	size_t			driver_ctx_size;
	bool			supported[VD_BDEV_NUM_IO_TYPES];
	struct vd_bdev_io_stat	closed_stat;	/* channels already destroyed */
	vd_bdev_unregister_cb	unregister_cb;
	void			*unregister_arg;
	struct vd_thread	*unregister_thread;
};

struct bdev_io_internal;
TAILQ_HEAD(bdev_io_tailq, bdev_io_internal);

/* Context of the bdev layer's channel (io_device = the struct vd_bdev). */
struct bdev_channel {
	struct vd_bdev		*bdev;
	struct vd_io_channel	*module_ch;
	void (*submit)(struct vd_io_channel *ch, struct vd_bdev_io *bdev_io);
	uint32_t		blocklen_shift;
	uint32_t		num_free;
	struct bdev_io_internal	*free_list;	/* LIFO: the most recently used stays hot */
	uint32_t		num_outstanding;
	struct bdev_io_tailq	outstanding;	/* submitted, not yet completed to the user */
	struct bdev_io_tailq	nomem_queue;	/* module said NOMEM: resubmitted later */
	struct bdev_io_tailq	deferred;	/* completed inside submit: finished by message */
	struct bdev_io_tailq	resets;		/* emulated resets waiting for the drain */
	uint32_t		in_submit;	/* inside a module submit (or a split start) */
	bool			deferred_msg;	/* a drain message is queued */
	bool			nomem_hit;	/* a resubmitted I/O came back NOMEM inline */
	struct vd_bdev_io_wait_entry *wait_head;
	struct vd_bdev_io_wait_entry *wait_tail;
	struct vd_poller	*nomem_poller;
	struct vd_bdev_io_stat	stat;
	void			*pool;
};

struct bdev_io_internal {
	struct vd_bdev_io	*io;
	struct bdev_channel	*ch;
	struct vd_bdev_desc	*desc;
	vd_bdev_io_completion_cb cb;
	void			*cb_arg;
	uint64_t		submit_tsc;
	int			status;		/* enum vd_bdev_io_status */
	int			errnum;
	bool			queued;		/* on outstanding */
	TAILQ_ENTRY(bdev_io_internal) link;	/* ch->outstanding */
	TAILQ_ENTRY(bdev_io_internal) qlink;	/* nomem_queue / deferred / resets */
	struct bdev_io_internal	*next_free;
	struct iovec		iov;		/* single-buffer variants and zero-buffer writes */
	/* Split parent (UNMAP/WRITE_ZEROES beyond the module's limit or emulated). */
	struct vd_bdev_io	*parent;
	uint64_t		split_next;
	uint64_t		split_end;
	uint64_t		split_max;
	uint32_t		split_outstanding;
	int			split_errnum;
	enum vd_bdev_io_type	child_type;
	struct vd_bdev_io_wait_entry waitent;
};

/* bdev.c */
extern pthread_mutex_t g_bdev_mutex;
extern void *g_bdev_zero_buf;
bool bdev_is_removing(const struct vd_bdev *bdev);
struct vd_bdev_module *bdev_module_first(void);
void bdev_stat_add(struct vd_bdev_io_stat *dst, const struct vd_bdev_io_stat *src);

/* bdev_io.c */
void bdev_io_device_register(struct vd_bdev *bdev);

#endif /* VD_BDEV_INTERNAL_H */
