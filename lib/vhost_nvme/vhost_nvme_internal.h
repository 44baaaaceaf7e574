/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Private declarations of lib/vhost_nvme: the controller, its queues and command contexts.
 *
 * Ownership.
 *  - Control thread (app thread): the registry, namespaces' descriptors, the register file
 *    words written by the front-end (cc, aqa, asq, acq: atomics) and the doorbell page mapping
 *    handed over through db_pending.
 *  - Data thread (lib/vhost's per-device thread): everything in struct nvme_dp: queues,
 *    command pools, bdev channels, csts (atomic: the control thread reads it for GET_CONFIG).
 *  - While lib/vhost has the device stopped and the front-end is gone (ops->disconnected), the
 *    data thread runs nothing of ours and the control thread may reset nvme_dp.
 */
#ifndef VHOST_NVME_INTERNAL_H
#define VHOST_NVME_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include "vhostd/bdev.h"
#include "vhostd/log.h"
#include "vhostd/nvme_spec.h"
#include "vhostd/thread.h"
#include "vhostd/vhost.h"
#include "vhostd/vhost_nvme.h"

VD_LOG_FLAG_DECLARE(vhost_nvme);

#define NVME_PAGE_SIZE 4096u
#define NVME_PAGE_SHIFT 12
#define NVME_MAX_XFER (NVME_PAGE_SIZE << VD_VHOST_NVME_MDTS)
/* One segment per page plus one for an unaligned first page, doubled for region splits. */
#define NVME_MAX_IOVS (2 * ((NVME_MAX_XFER / NVME_PAGE_SIZE) + 1))
#define NVME_MAX_ADMIN_ENTRIES 4096
#define NVME_AERL 3 /* 0-based: 4 AERs held */
#define NVME_BATCH 32
#define NVME_NUM_BOUNCE 4

struct nvme_ctrlr;
struct nvme_sq;
struct nvme_admin_msg;

/* PRP walker (nvme_prp.c). ------------------------------------------------------------------ */

/**
 * Map the data buffer of a command ([prp1, prp2] describing \p len bytes) to host iovecs.
 * \return NVME_STATUS(...) : success, PRP Offset Invalid, Invalid Field (bad alignment of PRP1),
 * Data Transfer Error (unmapped entry or list page, too many segments).
 */
uint16_t nvme_prp_map(struct vd_vhost_dev *dev, uint64_t prp1, uint64_t prp2, uint32_t len,
		      struct iovec *iovs, uint32_t max, uint32_t *cnt);

/* Queues and commands. ---------------------------------------------------------------------- */

struct nvme_cmd {
	struct nvme_sqe sqe;
	struct nvme_sq *sq;
	TAILQ_ENTRY(nvme_cmd) link; /* free list, CQ overflow list, AER list, bounce wait */
	uint16_t status;	    /* NVME_STATUS() */
	uint32_t cdw0;
	uint32_t iovcnt;
	uint32_t ns_idx;
	/* Ranged operations (write zeroes, DSM ranges, split unmaps): progress. */
	uint64_t lba;
	uint64_t nlb_left;
	uint32_t range_idx;
	uint32_t range_num;
	void *bounce; /* compare: data read from the bdev */
	bool busy;
	struct vd_bdev_io_wait_entry wait;
	struct iovec iovs[NVME_MAX_IOVS];
};

struct nvme_cq {
	bool valid;
	uint16_t id;
	uint16_t size; /* entries */
	uint64_t gpa;
	struct nvme_cqe *ring; /* hva, valid between start and stop */
	uint16_t tail;
	uint16_t head;
	uint8_t phase;
	bool ien;
	uint16_t iv;
	int call_fd;
	uint32_t sq_refs;
	uint32_t unsignalled; /* posted since the last interrupt */
	uint64_t first_unsignalled_tick;
	TAILQ_HEAD(, nvme_cmd) overflow; /* completions waiting for room */
};

struct nvme_sq {
	bool valid;
	bool deleting;
	bool msg; /* the ring-less queue of admin commands that came as messages */
	uint16_t id;
	uint16_t size;
	uint16_t cqid;
	uint64_t gpa;
	struct nvme_sqe *ring;
	uint16_t head;	       /* next entry to fetch */
	uint16_t tail;	       /* last valid tail doorbell value */
	uint32_t outstanding;  /* contexts in use */
	struct nvme_cmd *cmds; /* [size] */
	TAILQ_HEAD(, nvme_cmd) free;
	struct nvme_ctrlr *ctrlr;
};

struct nvme_ns {
	bool active;
	bool removed; /* hot-removed: I/O fails */
	uint32_t nsid;
	char *bdev_name;
	struct vd_bdev_desc *desc;
	struct vd_bdev *bdev;
	uint32_t block_size;
	uint64_t num_blocks;
	struct vd_io_channel *ch; /* data thread, between start and stop */
	struct nvme_ctrlr *ctrlr;
};

enum nvme_dp_state {
	NVME_DP_DISABLED,  /* CC.EN = 0, CSTS.RDY = 0 */
	NVME_DP_ENABLED,   /* CSTS.RDY = 1 */
	NVME_DP_RESETTING, /* CC.EN cleared: waiting for in-flight I/O, then DISABLED */
	NVME_DP_SHUTTING,  /* CC.SHN set: waiting for in-flight I/O, then SHST = done */
	NVME_DP_SHUTDOWN,  /* SHST = done, until CC.EN = 0 */
	NVME_DP_FATAL,	   /* CSTS.CFS, until CC.EN = 0 */
};

/* Features the host set (Get/Set Features). */
struct nvme_features {
	uint32_t arbitration;
	uint32_t power_mgmt;
	uint32_t temp_threshold;
	uint32_t err_recovery;
	uint32_t vwc;
	uint32_t num_queues; /* NSQA | NCQA << 16 as granted, 0-based */
	bool num_queues_set;
	uint32_t int_coalescing;
	uint32_t iv_config[VD_VHOST_NVME_MAX_IO_QUEUES + 1]; /* CD bit 16 */
	uint32_t write_atomicity;
	uint32_t async_event_config;
};

/* Data-thread state of a controller. */
struct nvme_dp {
	enum nvme_dp_state state;
	uint32_t cc; /* the CC value acted upon */
	struct vd_poller *poller;
	bool started; /* between ops->start and ops->stop */
	vd_vhost_done_cb stop_done;
	uint32_t io_outstanding; /* bdev I/Os in flight */
	uint32_t mps_shift;
	volatile uint32_t *db; /* BAR doorbells (mapping), NULL = none */
	uint64_t dbbuf_gpa;    /* 0 = no shadow doorbells */
	uint64_t eventidx_gpa;
	volatile uint32_t *shadow_db;
	volatile uint32_t *eventidx;
	struct nvme_sq sqs[VD_VHOST_NVME_MAX_IO_QUEUES + 1];
	struct nvme_cq cqs[VD_VHOST_NVME_MAX_IO_QUEUES + 1];
	struct nvme_features feat;
	TAILQ_HEAD(, nvme_cmd) aers;	/* held Asynchronous Event Requests */
	TAILQ_HEAD(, nvme_cmd) parked;	/* Delete I/O SQ waiting for its queue */
	uint32_t aer_pending;		/* events waiting for an AER: bitmask of types */
	bool aer_signalled;		/* no admin queue: CQ 0's eventfd told of aer_pending */
	struct nvme_sq msg_sq;		/* admin commands by message (VHOST_USER_NVME_ADMIN) */
	struct nvme_cmd msg_cmd;	/* the one such command: the front-end waits for it */
	struct nvme_admin_msg *msg_ctx; /* the message msg_cmd answers, while busy */
	uint32_t ns_changed;		/* an attribute-changed notice is pending */
	uint64_t error_count;
	uint64_t reads, writes, units_read, units_written;
	TAILQ_HEAD(, nvme_cmd) bounce_wait;
	void *bounce[NVME_NUM_BOUNCE];
	bool bounce_busy[NVME_NUM_BOUNCE];
	struct vd_log_ratelimit rl;
};

struct nvme_ctrlr {
	TAILQ_ENTRY(nvme_ctrlr) link;
	char *name;
	struct vd_vhost_dev *vdev;
	struct vd_vhost_dev_ops ops;
	uint16_t io_queues;
	bool has_cpumask;
	struct vd_cpuset cpumask;
	bool deleting;
	bool vdev_gone;		   /* unregistered: only pending admin messages keep us alive */
	uint32_t admin_msgs;	   /* admin messages not yet answered (control thread) */
	uint64_t admin_msgs_total; /* VHOST_USER_NVME_ADMIN messages received */
	uint64_t conn_gen;	   /* front-end connections so far (control thread) */
	vd_vhost_nvme_done_cb delete_cb;
	void *delete_arg;
	uint16_t cntlid;

	/* Register file written by the front-end (control thread), read by the data thread. */
	uint32_t cc;
	uint32_t aqa;
	uint64_t asq;
	uint64_t acq;
	uint32_t csts;	  /* written by the data thread */
	void *db_pending; /* new doorbell mapping for the data thread */
	void *db_map;	  /* mapping in use (owned by the data thread) */
	uint32_t num_ns;  /* published slots in ns[] (release) */
	struct nvme_ns ns[VD_VHOST_NVME_MAX_NS];

	struct nvme_dp dp;
};

/* nvme_ctrlr.c: queues, doorbells, completions, controller state (data thread). */
uint64_t nvme_ctrlr_cap(const struct nvme_ctrlr *c);
void nvme_ctrlr_complete(struct nvme_cmd *cmd);
int nvme_ctrlr_poll(void *arg);
int nvme_cq_create(struct nvme_ctrlr *c, uint16_t id, uint64_t gpa, uint16_t size, bool ien,
		   uint16_t iv);
int nvme_sq_create(struct nvme_ctrlr *c, uint16_t id, uint64_t gpa, uint16_t size, uint16_t cqid);
void nvme_sq_destroy(struct nvme_sq *sq);
void nvme_cq_destroy(struct nvme_cq *cq);
void nvme_ctrlr_reset_dp(struct nvme_ctrlr *c);
void nvme_ctrlr_aer_notify(struct nvme_ctrlr *c);
void vhost_nvme_dev_start(struct vd_vhost_dev *dev, vd_vhost_done_cb done);
void vhost_nvme_dev_stop(struct vd_vhost_dev *dev, vd_vhost_done_cb done);
int vhost_nvme_get_config(struct vd_vhost_dev *dev, uint8_t *buf, uint32_t off, uint32_t len);
int vhost_nvme_set_config(struct vd_vhost_dev *dev, const uint8_t *buf, uint32_t off, uint32_t len,
			  uint32_t flags);

/* nvme_admin.c */
void nvme_admin_exec(struct nvme_cmd *cmd);

/* Take the oldest pending asynchronous event the host asked for: \return true with *cdw0. */
bool nvme_aer_take_event(struct nvme_ctrlr *c, uint32_t *cdw0);

/* nvme_admin_msg.c: VHOST_USER_NVME_ADMIN. */
int nvme_admin_msg_recv(struct nvme_ctrlr *c, struct vd_vhost_custom_msg *msg);
void nvme_admin_msg_complete(struct nvme_cmd *cmd);
void nvme_admin_msg_init(struct nvme_ctrlr *c);
/* vhost_nvme.c: free a deleted controller once no admin message is pending. */
void vhost_nvme_delete_finish(struct nvme_ctrlr *c);

/* nvme_io.c */
void nvme_io_exec(struct nvme_cmd *cmd);
void *nvme_bounce_get(struct nvme_ctrlr *c);
void nvme_bounce_put(struct nvme_ctrlr *c, void *buf);

/* vhost_nvme.c: registry. */
struct nvme_ctrlr *vhost_nvme_find(const char *name);
struct nvme_ctrlr *vhost_nvme_next(struct nvme_ctrlr *prev);
void vhost_nvme_write_config_json(struct json_object *config);

static inline struct nvme_ctrlr *
nvme_cmd_ctrlr(const struct nvme_cmd *cmd)
{
	return cmd->sq->ctrlr;
}

static inline void
nvme_cmd_set_status(struct nvme_cmd *cmd, uint8_t sct, uint8_t sc)
{
	cmd->status = NVME_STATUS(sct, sc);
}

#endif /* VHOST_NVME_INTERNAL_H */
