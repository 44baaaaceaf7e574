/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * vhost-user back-end: one listening UNIX socket per device, the vhost-user protocol, the guest
 * memory table and split virtqueues.  Device-agnostic: devices (vhost_blk, vhost_scsi,
 * vhost_nvme) register an ops table and see typed calls, never raw vhost-user messages (except
 * request ids they claim through custom_msg).
 *
 * Threads.
 *  - The control thread is the thread that called vd_vhost_dev_register() (the app thread).
 *    Socket accept, message parsing, get_config/set_config/custom_msg run there.
 *  - Each device owns a data thread, created by the library with the device's cpumask.
 *    ops->start and ops->stop run there; the device registers its queue pollers there and calls
 *    the vd_vhost_vq_* data-path functions only there.
 *  - A control message that changes what the data path reads (memory table, ring addresses,
 *    ring base, kick/call fds, features, enable, reset, disconnect, unregister) is applied with
 *    the device stopped: the library calls ops->stop on the data thread, waits for its done
 *    callback, applies the message on the control thread, and later calls ops->start again when
 *    the device is ready and the front-end has gone quiet.  Between start and stop the memory
 *    table and every started queue are immutable, so the data path takes no locks.
 *
 * Data path (no syscalls except the call eventfd write per flushed batch, no allocation):
 *	n = vd_vhost_vq_dequeue(vq, reqs, 32);	 fills caller-owned requests
 *	... submit, later from completions:  vd_vhost_vq_complete(vq, head, used_len);
 *	vd_vhost_vq_flush(vq);			 publish used idx, interrupt if the guest wants one
 */
#ifndef VHOSTD_VHOST_H
#define VHOSTD_VHOST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vhostd/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum number of virtqueues a device may have. */
#define VD_VHOST_MAX_QUEUES 64
/** Maximum split-ring size (virtio 1.2: 32768). */
#define VD_VHOST_MAX_QUEUE_SIZE 32768
/** Maximum guest memory regions (GET_MAX_MEM_SLOTS answers this). */
#define VD_VHOST_MAX_MEM_REGIONS 64
/** Config space size limit (vhost-user GET_CONFIG/SET_CONFIG payload). */
#define VD_VHOST_MAX_CONFIG_SIZE 256
/** Largest message payload accepted (standard or custom). */
#define VD_VHOST_MAX_PAYLOAD 8192
/** Largest number of fds one message may carry. */
#define VD_VHOST_MAX_FDS 8
/** First request id a device may claim with custom_msg (the standard table ends below it). */
#define VD_VHOST_CUSTOM_REQ_BASE 64

/* Virtio feature bits the library understands. */
#define VD_VIRTIO_F_INDIRECT_DESC 28
#define VD_VIRTIO_F_EVENT_IDX 29
#define VD_VHOST_F_PROTOCOL_FEATURES 30
#define VD_VIRTIO_F_VERSION_1 32

struct vd_vhost_dev;
struct vd_vhost_vq;

/** Completion of an asynchronous device op: \p rc 0 or a negative errno.  Any thread. */
typedef void (*vd_vhost_done_cb)(struct vd_vhost_dev *dev, int rc);
/** Completion of vd_vhost_dev_unregister(), on the control thread. */
typedef void (*vd_vhost_unregister_cb)(void *cb_arg);

/** Return values of ops->custom_msg. */
#define VD_VHOST_MSG_NOT_MINE 1 /**< not a request id of this device */
#define VD_VHOST_MSG_DONE 0	/**< handled; ack if the front-end asked for one */
#define VD_VHOST_MSG_REPLY 2	/**< handled; *reply_size bytes of reply are sent */
/**
 * Accepted; the reply comes later through vd_vhost_dev_msg_reply() with msg->token.  Nothing
 * is sent now (no ack either) and the connection reads no further message until the reply has
 * been sent or the front-end has disconnected.
 */
#define VD_VHOST_MSG_PENDING 3

/** A device-specific request (custom_msg).  Everything is borrowed for the call. */
struct vd_vhost_custom_msg {
	uint32_t request;
	uint32_t size; /**< payload bytes */
	const uint8_t *payload;
	int *fds; /**< fd_num slots; set a slot to -1 to keep that fd */
	uint32_t fd_num;
	uint8_t *reply;	     /**< VD_VHOST_MAX_PAYLOAD bytes */
	uint32_t reply_size; /**< set by the device with VD_VHOST_MSG_REPLY */
	uint64_t token;	     /**< names this message in vd_vhost_dev_msg_reply() (never 0) */
};

struct vd_vhost_dev_ops {
	/** Device type for logs ("blk"). */
	const char *type;
	/** Virtio device feature bits offered in addition to the library's. */
	uint64_t features;
	/** Protocol features the device does not want (VD_VHOST_PROTOCOL_F_* bit masks). */
	uint64_t protocol_features_clear;
	/** Queues the device supports (1..VD_VHOST_MAX_QUEUES); GET_QUEUE_NUM answers this. */
	uint16_t max_queues;
	/** True for devices without virtqueues (vhost-nvme): ready once memory is mapped. */
	bool no_vrings;

	/** Read config space (control thread).  NULL: CONFIG protocol feature not offered.
	 *  \return 0 or a negative errno (the front-end gets an empty reply). */
	int (*get_config)(struct vd_vhost_dev *dev, uint8_t *buf, uint32_t offset, uint32_t len);
	/** Write config space (control thread).  NULL: writes are refused. */
	int (*set_config)(struct vd_vhost_dev *dev, const uint8_t *buf, uint32_t offset,
			  uint32_t len, uint32_t flags);
	/**
	 * Memory and the ready queues are usable (data thread).  Register pollers for every
	 * queue vd_vhost_dev_get_vq() returns, then call \p done(dev, rc) exactly once (any
	 * thread, now or later).  A non-zero rc leaves the device stopped.
	 */
	void (*start)(struct vd_vhost_dev *dev, vd_vhost_done_cb done);
	/**
	 * Stop using memory and queues (data thread): unregister pollers, finish or fail every
	 * request taken from a queue (vd_vhost_vq_complete + vd_vhost_vq_flush), then call
	 * \p done(dev, 0) exactly once.
	 */
	void (*stop)(struct vd_vhost_dev *dev, vd_vhost_done_cb done);
	/**
	 * Request ids not in the standard table (>= VD_VHOST_CUSTOM_REQ_BASE), control thread.
	 * The device checks sizes itself.  \return VD_VHOST_MSG_DONE, VD_VHOST_MSG_REPLY,
	 * VD_VHOST_MSG_PENDING (deferred reply), VD_VHOST_MSG_NOT_MINE, or a negative errno
	 * (connection closed).  NULL = none.
	 */
	int (*custom_msg)(struct vd_vhost_dev *dev, struct vd_vhost_custom_msg *msg);
	/** A front-end connected / disconnected (control thread); optional. */
	void (*connected)(struct vd_vhost_dev *dev);
	void (*disconnected)(struct vd_vhost_dev *dev);
};

/* Protocol feature bits (vhost-user.rst). */
#define VD_VHOST_PROTOCOL_F_MQ (1ULL << 0)
#define VD_VHOST_PROTOCOL_F_LOG_SHMFD (1ULL << 1)
#define VD_VHOST_PROTOCOL_F_REPLY_ACK (1ULL << 3)
#define VD_VHOST_PROTOCOL_F_CONFIG (1ULL << 9)
#define VD_VHOST_PROTOCOL_F_INFLIGHT_SHMFD (1ULL << 12)
#define VD_VHOST_PROTOCOL_F_RESET_DEVICE (1ULL << 13)
#define VD_VHOST_PROTOCOL_F_CONFIGURE_MEM_SLOTS (1ULL << 15)
#define VD_VHOST_PROTOCOL_F_STATUS (1ULL << 16)

/**
 * Directory of the listening sockets of every controller type (copied; default "."): the
 * daemon's -S option.  Call before creating controllers.  \return 0, or -ENAMETOOLONG for an
 * empty or too long path.
 */
int vd_vhost_set_sock_dir(const char *dir);
const char *vd_vhost_get_sock_dir(void);

/**
 * Create a device: a data thread with \p cpumask (copied; NULL = any core) and a listening socket
 * at \p sock_dir/\p name (an existing socket file there is replaced).  Control thread.
 * \p name is copied, \p ops and \p ctx are borrowed until unregister completes.
 * \return 0, -EINVAL (bad name/ops), -ENAMETOOLONG, -EEXIST (name in use), -ENOMEM, or the
 * socket's errno.
 */
int vd_vhost_dev_register(const char *name, const char *sock_dir,
			  const struct vd_vhost_dev_ops *ops, void *ctx,
			  const struct vd_cpuset *cpumask, struct vd_vhost_dev **dev);

/**
 * Delete a device, also while a front-end is connected: stops the queues (ops->stop), closes the
 * connection, removes the socket file and the data thread.  \p cb(cb_arg) runs on the control
 * thread afterwards.  \return 0 (cb will run) or -EBUSY (already being deleted).
 */
int vd_vhost_dev_unregister(struct vd_vhost_dev *dev, vd_vhost_unregister_cb cb, void *cb_arg);

/**
 * Send the deferred reply of the device-specific message \p token (see VD_VHOST_MSG_PENDING):
 * header with the request's id, VERSION|REPLY flags and \p size, then \p size bytes of
 * \p reply (copied).  Control thread.  Message reading resumes afterwards.
 * \return 0; -ENOTCONN (no front-end connected, or it has just closed its end: nothing sent);
 * -ESTALE (\p token is not the reply pending on the current connection, e.g. it belonged to an
 * earlier one); -EINVAL (\p size above VD_VHOST_MAX_PAYLOAD); -EIO (the send failed: the
 * connection is closed at the next poll).
 */
int vd_vhost_dev_msg_reply(struct vd_vhost_dev *dev, uint64_t token, const void *reply,
			   uint32_t size);

/** Lookup by name (control thread).  \return the device or NULL. */
struct vd_vhost_dev *vd_vhost_dev_find(const char *name);
struct vd_vhost_dev *vd_vhost_dev_first(void);
struct vd_vhost_dev *vd_vhost_dev_next(struct vd_vhost_dev *prev);

const char *vd_vhost_dev_get_name(const struct vd_vhost_dev *dev);
const char *vd_vhost_dev_get_socket_path(const struct vd_vhost_dev *dev);
void *vd_vhost_dev_get_ctx(const struct vd_vhost_dev *dev);
struct vd_thread *vd_vhost_dev_get_thread(const struct vd_vhost_dev *dev);
bool vd_vhost_dev_is_connected(const struct vd_vhost_dev *dev);
/** Negotiated virtio features (valid between start and stop, and on the control thread). */
uint64_t vd_vhost_dev_get_features(const struct vd_vhost_dev *dev);
/** Number of queues with a ring set up by the front-end (not all of them need be ready). */
uint16_t vd_vhost_dev_get_num_queues(const struct vd_vhost_dev *dev);
/**
 * Queue \p idx if it is started (between ops->start and ops->stop, data thread), else NULL.
 */
struct vd_vhost_vq *vd_vhost_dev_get_vq(struct vd_vhost_dev *dev, uint16_t idx);

/* Guest memory ---------------------------------------------------------------------------- */

/**
 * Translate guest-physical [gpa, gpa + len) to a host pointer.  Data thread between start and
 * stop (or control thread while stopped).  \return NULL unless the whole range lies in one
 * mapped region (len 0 is refused).
 */
void *vd_vhost_gpa_to_vva(struct vd_vhost_dev *dev, uint64_t gpa, uint64_t len);

/**
 * Translate [gpa, gpa + len) into at most \p max iovecs, splitting at region boundaries.
 * \return 0 with *cnt set, -EFAULT (a byte is unmapped, or len 0 / overflow) or -E2BIG (more
 * than \p max segments needed).
 */
int vd_vhost_gpa_to_iovs(struct vd_vhost_dev *dev, uint64_t gpa, uint64_t len, struct iovec *iovs,
			 uint32_t max, uint32_t *cnt);

/* Virtqueues (data thread, between ops->start and ops->stop) ------------------------------ */

/**
 * One request taken from a queue.  The device owns the struct (per-queue pool) and sets iovs and
 * max_iovs once; the library fills the rest on dequeue.  Segments [0, num_readable) are
 * device-readable (driver → device), [num_readable, iovcnt) device-writable; the virtio rule that
 * readable descriptors precede writable ones is enforced.
 */
struct vd_vhost_req {
	uint16_t head; /**< descriptor chain head: pass to vd_vhost_vq_complete */
	uint16_t iovcnt;
	uint16_t num_readable;
	uint16_t max_iovs;  /**< capacity of iovs, set by the device */
	uint32_t read_len;  /**< bytes in readable segments */
	uint32_t write_len; /**< bytes in writable segments */
	struct iovec *iovs; /**< device-provided array of max_iovs entries */
};

struct vd_vhost_vq_stats {
	uint64_t requests; /**< chains handed to the device (incl. resubmitted) */
	uint64_t completions;
	uint64_t bytes;	      /**< read_len + write_len of dequeued requests */
	uint64_t calls;	      /**< call eventfd writes */
	uint64_t bad_chains;  /**< chains completed with length 0 by the library */
	uint64_t resubmitted; /**< inflight chains resubmitted after reconnect */
};

/**
 * Take up to \p n new requests (inflight resubmissions first, then avail ring in order).
 * A malformed chain (descriptor outside memory, loop, too long, bad index, readable after
 * writable, more segments than max_iovs, nested indirect) is completed by the library with
 * length 0 and not returned.  \return the number of requests filled (0..n), or -EIO when the
 * ring is broken (avail idx moved by more than the queue size; logged once, queue stays dead
 * until the front-end sets it up again).
 */
int vd_vhost_vq_dequeue(struct vd_vhost_vq *vq, struct vd_vhost_req **reqs, uint16_t n);

/**
 * Estimate of what vd_vhost_vq_dequeue() would take now: resubmissions left plus new avail
 * entries (capped at the queue size).  One read of avail->idx, nothing validated or consumed:
 * lets a poller skip preparing request slots on an idle ring.  0 on a broken ring.
 */
uint32_t vd_vhost_vq_pending(const struct vd_vhost_vq *vq);

/**
 * Put used element {head, used_len}.  Not visible to the guest until vd_vhost_vq_flush().
 * A head that is not outstanding is ignored (logged): nothing is completed twice.
 */
void vd_vhost_vq_complete(struct vd_vhost_vq *vq, uint16_t head, uint32_t used_len);

/** Publish completed elements (used->idx, release order) and signal the call eventfd if the
 *  guest asked for it (EVENT_IDX used_event / VRING_AVAIL_F_NO_INTERRUPT).  Cheap when idle. */
void vd_vhost_vq_flush(struct vd_vhost_vq *vq);

uint16_t vd_vhost_vq_get_index(const struct vd_vhost_vq *vq);
uint16_t vd_vhost_vq_get_size(const struct vd_vhost_vq *vq);
/** Requests taken and not yet completed. */
uint32_t vd_vhost_vq_get_outstanding(const struct vd_vhost_vq *vq);
struct vd_vhost_dev *vd_vhost_vq_get_dev(const struct vd_vhost_vq *vq);
/** Per-queue device context (set by the device in ops->start). */
void vd_vhost_vq_set_ctx(struct vd_vhost_vq *vq, void *ctx);
void *vd_vhost_vq_get_ctx(const struct vd_vhost_vq *vq);

/**
 * The call eventfd the front-end set for queue index \p idx with SET_VRING_CALL, or -1.  For
 * devices without vrings (vhost-nvme uses it as the interrupt of completion queue \p idx).
 * Data thread between ops->start and ops->stop; the fd stays owned by the library.
 */
int vd_vhost_dev_get_call_fd(struct vd_vhost_dev *dev, uint16_t idx);

/**
 * Copy the counters of queue \p idx (racy 64-bit reads: callable from the control thread).
 * \return 0 or -ENOENT (no such queue set up).
 */
int vd_vhost_dev_get_vq_stats(const struct vd_vhost_dev *dev, uint16_t idx,
			      struct vd_vhost_vq_stats *stats);

/** Register the library's log component (explicit, from the vhost subsystem init). */
void vd_vhost_init(void);

/* Controller types and the generic controller RPCs ---------------------------------------- */

struct json_object;

/**
 * A kind of controller (blk, scsi, nvme) as seen by the generic RPCs vhost_get_controllers and
 * vhost_delete_controller.  Registered explicitly by the device library's RPC registration.
 * Controller names are unique across types (they are vhost device names).  Control thread.
 */
struct vd_vhost_ctrlr_type {
	const char *name;
	/** Append one JSON object per controller (every one, or only \p name); \return how many. */
	uint32_t (*dump)(struct json_object *array, const char *name);
	/** Delete controller \p name: 0 (cb(cb_arg, rc) runs later), -ENODEV if it is not of this
	 *  type, or another negative errno. */
	int (*delete_ctrlr)(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg);
	struct vd_vhost_ctrlr_type *next;	/* registry link, owned by lib/vhost */
};

/** Register a controller type (idempotent). */
void vd_vhost_ctrlr_type_register(struct vd_vhost_ctrlr_type *type);
/** Register vhost_get_controllers and vhost_delete_controller (once, whoever calls first). */
void vd_vhost_rpc_register(void);

struct vd_rpc_request;

/**
 * The "cpumask" parameter of a controller create method: parse \p str (vd_cpuset_parse()) into
 * \p mask and require a core of \p cores, the cores that run reactors (the caller gets them from
 * vd_reactor_get_cpuset(); lib/vhost does not depend on lib/event).  Strings and sets are
 * borrowed.  App thread.
 * \return true, or false after answering -32602 "Invalid parameters: 'cpumask' is not a valid
 * CPU mask" (malformed or empty) or "... 'cpumask' names no core vhostd runs a reactor on".
 */
bool vd_vhost_rpc_parse_cpumask(struct vd_rpc_request *req, const char *str,
				const struct vd_cpuset *cores, struct vd_cpuset *mask);

/**
 * The fields every blk and scsi controller has in vhost_get_controllers, in this order: ctrlr,
 * cpumask (the data thread's cores that are in \p cores, see above), delay_base_us (0),
 * iops_threshold (60000), socket, connected, sessions ([{vid, id, name "<ctrlr>s0",
 * max_queues}] while connected, else []), queues ([{index, requests, completions, bytes, calls,
 * bad_chains, resubmitted}] for each queue set up).  The type adds "backend_specific".
 * App thread.  \return a new object (the caller owns it).
 */
struct json_object *vd_vhost_ctrlr_info_json(const struct vd_vhost_dev *dev,
					     const struct vd_cpuset *cores);

/**
 * Saved configuration: add "cpumask" (hex) to the create-method \p params of a controller
 * created with \p cpumask (borrowed); NULL (created without one) adds nothing.
 */
void vd_vhost_config_add_cpumask(struct json_object *params, const struct vd_cpuset *cpumask);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_VHOST_H */
