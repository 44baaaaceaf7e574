/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Private declarations shared by the files of lib/vhost: the back-end's own message payloads,
 * the inflight region, and the device / connection / queue objects.  The vhost-user wire
 * formats shared with the front-end come from vhostd_internal/vhost_user_proto.h.
 */
#ifndef VHOST_INTERNAL_H
#define VHOST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include "vhostd/log.h"
#include "vhostd/thread.h"
#include "vhostd/vhost.h"
#include "vhostd_internal/vhost_user_proto.h"

VD_LOG_FLAG_DECLARE(vhost);

/* Device-specific request ids (custom_msg) start above the standard table. */
VD_STATIC_ASSERT(VHOST_USER_MAX <= VD_VHOST_CUSTOM_REQ_BASE, "custom ids above the table");

/*
 * Payloads only the back-end parses; the wire formats both sides share (header, request ids,
 * flags, common payloads, split rings, feature bits) are in vhostd_internal/vhost_user_proto.h.
 */
struct vhost_single_region_msg {
	uint64_t padding;
	struct vhost_mem_region_msg region;
};

struct vhost_config_msg {
	struct vhost_config_hdr hdr;
	uint8_t region[VD_VHOST_MAX_CONFIG_SIZE];
};
VD_STATIC_ASSERT(offsetof(struct vhost_config_msg, region) == VHOST_CONFIG_HDR_SIZE,
		 "config header layout");

struct vhost_inflight_msg {
	uint64_t mmap_size;
	uint64_t mmap_offset;
	uint16_t num_queues;
	uint16_t queue_size;
};
#define VHOST_INFLIGHT_MSG_MIN_SIZE 20u

struct vhost_msg {
	struct vhost_user_hdr hdr;
	union {
		uint64_t u64;
		struct vhost_vring_state state;
		struct vhost_vring_addr addr;
		struct vhost_memory_msg memory;
		struct vhost_single_region_msg mem_reg;
		struct vhost_config_msg config;
		struct vhost_inflight_msg inflight;
		uint8_t raw[VD_VHOST_MAX_PAYLOAD];
	} payload;
	int fds[VD_VHOST_MAX_FDS];
	uint32_t fd_num;
	int reply_fd; /* fd sent with the reply (then closed), or -1 */
};

/* Inflight region, split layout (vhost-user.rst "Inflight I/O tracking"). */
struct inflight_desc {
	uint8_t inflight;
	uint8_t padding[5];
	uint16_t next;
	uint64_t counter;
};

struct inflight_queue {
	uint64_t features;
	uint16_t version;
	uint16_t desc_num;
	uint16_t last_batch_head;
	uint16_t used_idx;
	struct inflight_desc desc[];
};
VD_STATIC_ASSERT(sizeof(struct inflight_desc) == 16, "inflight desc layout");
VD_STATIC_ASSERT(sizeof(struct inflight_queue) == 16, "inflight header layout");

/* Memory table ---------------------------------------------------------------------------- */

struct vhost_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva; /* front-end virtual address */
	uint64_t mmap_offset;
	uint8_t *hva; /* mapping of gpa */
	void *mmap_addr;
	uint64_t mmap_size;
};

/* Regions sorted by gpa, non-overlapping. */
struct vhost_mem {
	uint32_t nregions;
	struct vhost_mem_region regions[VD_VHOST_MAX_MEM_REGIONS];
};

/* Largest region size accepted (128 TiB). */
#define VHOST_MEM_MAX_REGION_SIZE (1ULL << 47)

int vhost_mem_region_map(struct vhost_mem_region *reg, int fd);
void vhost_mem_region_unmap(struct vhost_mem_region *reg);
int vhost_mem_insert(struct vhost_mem *mem, const struct vhost_mem_region *reg);
int vhost_mem_remove(struct vhost_mem *mem, uint64_t gpa, uint64_t size);
void vhost_mem_clear(struct vhost_mem *mem);
void *vhost_mem_gpa_to_vva(const struct vhost_mem *mem, uint64_t gpa, uint64_t len);
int vhost_mem_gpa_to_iovs(const struct vhost_mem *mem, uint64_t gpa, uint64_t len,
			  struct iovec *iovs, uint32_t max, uint32_t *cnt);
/* Same, trying region *hint first and leaving there the index of the last region used. */
int vhost_mem_gpa_to_iovs_hint(const struct vhost_mem *mem, uint64_t gpa, uint64_t len,
			       struct iovec *iovs, uint32_t max, uint32_t *cnt, uint32_t *hint);
void *vhost_mem_uva_to_vva(const struct vhost_mem *mem, uint64_t uva, uint64_t len);

/* Virtqueue ------------------------------------------------------------------------------- */

struct vd_vhost_vq {
	/* Data path, read-mostly while started. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	const struct vhost_mem *mem;
	uint16_t size;
	uint16_t mask;
	bool event_idx;
	bool indirect;
	bool broken;
	int call_fd;
	/* Data path, written. */
	uint16_t last_avail_idx;
	uint16_t used_idx; /* next used slot (shadow of used->idx) */
	uint16_t signalled_used;
	bool signalled_valid;
	uint16_t batch_count; /* completed, not yet published */
	uint32_t mem_hint;    /* memory region of the last buffer mapped (a hint only) */
	uint32_t outstanding;
	uint8_t *head_busy;    /* [size] 1 while a head is with the device */
	uint16_t *batch_heads; /* [size] heads of the unpublished batch */
	struct inflight_queue *inflight;
	uint64_t inflight_counter;
	uint16_t *resubmit; /* [size] heads to resubmit, counter order */
	uint16_t resubmit_num;
	uint16_t resubmit_pos;
	struct vd_log_ratelimit rl;
	struct vd_vhost_vq_stats stats;
	struct vd_vhost_dev *dev;
	void *ctx;
	uint16_t idx;

	/* Control state (control thread; immutable while the device runs). */
	uint32_t num; /* SET_VRING_NUM (0 = not set) */
	uint64_t desc_uva;
	uint64_t avail_uva;
	uint64_t used_uva;
	bool addr_set;
	bool kicked; /* SET_VRING_KICK received: ring started */
	bool enabled;
	bool running;  /* part of the current start */
	uint16_t base; /* SET_VRING_BASE */
	int kick_fd;
	int err_fd;
	bool inflight_recovered;
};

void vhost_vq_init(struct vd_vhost_vq *vq, struct vd_vhost_dev *dev, uint16_t idx);
/* Translate rings and allocate per-queue arrays.  0 or -EFAULT/-EINVAL/-ENOMEM. */
int vhost_vq_prepare(struct vd_vhost_vq *vq, const struct vhost_mem *mem, uint64_t features);
/*
 * One interrupt when a queue (re)starts.  Used elements published while the device stopped
 * may have been signalled on a call fd the front-end has just replaced (SET_VRING_CALL needs a
 * stopped device, so a front-end that switches call fds makes us stop, flush and signal the
 * old fd); a spurious interrupt costs the driver one look at the used ring, a lost one leaves
 * its requests waiting forever.
 */
void vhost_vq_signal_start(struct vd_vhost_vq *vq);
/* Release per-start state (arrays); keeps the front-end configuration. */
void vhost_vq_unprepare(struct vd_vhost_vq *vq);
/* Forget everything the front-end set (fds closed). */
void vhost_vq_reset(struct vd_vhost_vq *vq);
bool vhost_vq_is_ready(const struct vd_vhost_vq *vq);
int vhost_vq_map_chain(struct vd_vhost_vq *vq, uint16_t head, struct vd_vhost_req *req);

/* Inflight -------------------------------------------------------------------------------- */

struct vhost_inflight {
	void *addr;
	uint64_t size;
	uint16_t num_queues;
	uint16_t queue_size;
};

uint64_t vhost_inflight_queue_stride(uint16_t queue_size);
int vhost_inflight_create(struct vhost_inflight *inf, uint16_t num_queues, uint16_t queue_size,
			  int *fd);
int vhost_inflight_map(struct vhost_inflight *inf, int fd, uint64_t mmap_size, uint64_t mmap_offset,
		       uint16_t num_queues, uint16_t queue_size);
void vhost_inflight_unmap(struct vhost_inflight *inf);
struct inflight_queue *vhost_inflight_queue(const struct vhost_inflight *inf, uint16_t idx);
/* Recover queue state from its inflight region (control thread, rings translated). */
int vhost_inflight_recover(struct vd_vhost_vq *vq);

/* Device and connection ------------------------------------------------------------------- */

enum vhost_dev_state {
	VHOST_DEV_STOPPED,
	VHOST_DEV_STARTING,
	VHOST_DEV_STARTED,
	VHOST_DEV_STOPPING,
};

/* What to do once an asynchronous stop has finished. */
enum vhost_after_stop {
	VHOST_AFTER_STOP_DISPATCH, /* dispatch the parked message */
	VHOST_AFTER_STOP_CLOSE,	   /* close the connection */
	VHOST_AFTER_STOP_NONE,
};

struct vhost_conn {
	int fd;
	struct vd_vhost_dev *dev;
	struct vhost_msg msg;
	uint32_t hdr_got;
	uint32_t payload_got;
	bool parked; /* msg complete, waiting for the device to stop */
	uint64_t protocol_features;
	bool owner;
	/* A device-specific message awaits its deferred reply: no message is read meanwhile. */
	bool reply_pending;
	uint32_t pending_request;
	uint64_t pending_token;
};

struct vd_vhost_dev {
	TAILQ_ENTRY(vd_vhost_dev) link;
	char *name;
	char *path;
	const struct vd_vhost_dev_ops *ops;
	void *ctx;
	struct vd_thread *ctrl_thread;
	struct vd_thread *data_thread;
	int listen_fd;
	struct vd_poller *poller;
	struct vhost_conn *conn;
	uint64_t features_offered;
	uint64_t protocol_offered;

	enum vhost_dev_state state;
	enum vhost_after_stop after_stop;
	bool start_failed;
	bool deleting;
	vd_vhost_unregister_cb unregister_cb;
	void *unregister_arg;
	vd_msg_fn retry_fn; /* message to the data thread to (re)send */
	int async_done;	    /* set (atomically) by start/stop done callbacks */
	int async_rc;
	uint64_t last_token; /* tokens of deferred replies, unique for the device's lifetime */
	struct vd_log_ratelimit rl;

	/* Front-end state (reset on disconnect). */
	uint64_t features;
	bool features_set;
	uint8_t status;
	struct vhost_mem mem;
	struct vhost_inflight inflight;
	uint16_t num_queues; /* highest queue touched + 1 */
	struct vd_vhost_vq vqs[VD_VHOST_MAX_QUEUES];
};

/* vhost_user.c */
enum vhost_msg_result {
	VHOST_MSG_ERR = -1,    /* protocol error: close the connection */
	VHOST_MSG_OK = 0,      /* handled; ack if asked */
	VHOST_MSG_REPLY = 1,   /* handled; the payload holds the reply */
	VHOST_MSG_NACK = 2,    /* refused; ack failure if asked, keep the connection */
	VHOST_MSG_PENDING = 3, /* the device replies later (vd_vhost_dev_msg_reply) */
};

/* 1: a whole message is in conn->msg; 0: need more bytes; -errno: close the connection. */
int vhost_user_recv(struct vhost_conn *conn);
/* Whether conn->msg changes what the data path reads (dispatch with the device stopped). */
bool vhost_user_msg_needs_stop(const struct vhost_conn *conn);
/* Validate and run conn->msg, send the reply; close leftover fds.  0 or -errno (close). */
int vhost_user_dispatch(struct vhost_conn *conn);
void vhost_user_msg_reset(struct vhost_msg *msg);
/* While a deferred reply is pending: 0 if the front-end is still there, -ECONNRESET on EOF. */
int vhost_user_check_peer(struct vhost_conn *conn);
const char *vhost_user_request_name(uint32_t request);

/* vhost.c */
void vhost_dev_reset_frontend_state(struct vd_vhost_dev *dev);
bool vhost_dev_should_run(const struct vd_vhost_dev *dev);
uint64_t vhost_dev_protocol_features(const struct vd_vhost_dev *dev);

#endif /* VHOST_INTERNAL_H */
