/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * A vhost-user front-end in user space ("virtio-user"): drives any vhost-user-blk or
 * vhost-user-scsi back-end (vhostd, qemu-storage-daemon, SPDK) as a virtio device of this
 * process, with split virtqueues in DMA memory that the back-end maps.
 *
 * Memory: the process's env memory (vd_dma_* allocations, DPDK memory with file descriptors)
 * is shared with the back-end in SET_MEM_TABLE, at most 8 regions, with guest physical address
 * = user address = our virtual address.  Buffers are thus passed without copies, but only
 * buffers inside the memory that existed when the device connected: preallocate env memory
 * (mem_size_mb / -s) when I/O buffers are allocated later.  Other buffers fail with -EFAULT.
 *
 * Threads: vd_virtio_user_connect() and the device calls run on one control thread (the
 * creator's).  The handshake is a poller-driven state machine: never blocks, every step that
 * waits for an answer times out.  A virtqueue is claimed by one thread at a time
 * (vd_virtio_dev_claim_queue) and is then used only from that thread, without locks.  The
 * control thread watches the socket; when the back-end goes away the device becomes broken
 * (visible to every thread) and the disconnect callback runs on the control thread.
 */
#ifndef VHOSTD_VIRTIO_H
#define VHOSTD_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vd_virtio_dev;
struct vd_virtqueue;

/** Most virtqueues of one device. */
#define VD_VIRTIO_MAX_QUEUES 64
#define VD_VIRTIO_MAX_QUEUE_SIZE 32768
/** Largest config space read. */
#define VD_VIRTIO_MAX_CONFIG 256
/** Default time a back-end gets to answer each handshake step. */
#define VD_VIRTIO_DEFAULT_TIMEOUT_MS 5000

struct vd_virtio_user_opts {
	const char *name; /**< for logs; copied */
	const char *path; /**< UNIX socket of the back-end; copied */
	/** Device-specific feature bits (0..23) understood by the caller; VERSION_1 and
	 *  EVENT_IDX are added by the library. */
	uint64_t device_features;
	uint16_t num_queues; /**< virtqueues to set up, 1..VD_VIRTIO_MAX_QUEUES */
	uint16_t queue_size; /**< power of two, 2..VD_VIRTIO_MAX_QUEUE_SIZE */
	/** Bytes of device config space to read (0: none).  Read only this much: some
	 *  back-ends refuse larger reads than their config structure. */
	uint32_t config_size;
	/** Fail when the back-end has no CONFIG protocol feature (else config reads as 0). */
	bool config_required;
	/** Bytes of DMA scratch per descriptor head (request headers and status), 0..4096. */
	uint32_t slot_size;
	uint32_t timeout_ms; /**< per handshake step; 0 = default */
};

/**
 * Connect completion on the control thread: \p rc 0 and the ready \p dev, or a negative errno
 * (dev NULL; the reason was logged): -ENOENT/-ECONNREFUSED (no back-end), -ETIMEDOUT (a step
 * was not answered), -EPROTO (not a vhost-user back-end, or a malformed answer), -ENOTSUP
 * (missing VERSION_1/CONFIG, too few queues, memory not shareable), -EIO (a step was refused
 * or the back-end closed the connection), -ENOMEM.
 */
typedef void (*vd_virtio_connect_cb)(void *cb_arg, struct vd_virtio_dev *dev, int rc);
/** Back-end gone: runs once on the control thread; the device is broken from then on. */
typedef void (*vd_virtio_disconnect_cb)(void *cb_arg);

/**
 * Start connecting (current thread = control thread).  \return 0 (cb runs later, exactly
 * once) or -EINVAL (bad options, no current thread) / -ENOMEM; cb then never runs.
 */
int vd_virtio_user_connect(const struct vd_virtio_user_opts *opts, vd_virtio_connect_cb cb,
			   void *cb_arg);

/** Set the disconnect callback (control thread). */
void vd_virtio_dev_set_disconnect_cb(struct vd_virtio_dev *dev, vd_virtio_disconnect_cb cb,
				     void *cb_arg);
/**
 * Close the connection and free the device (control thread).  Every virtqueue must have been
 * released.  NULL ignored; clears the caller's pointer.
 */
void vd_virtio_dev_close(struct vd_virtio_dev **dev);

const char *vd_virtio_dev_get_name(const struct vd_virtio_dev *dev);
/** Negotiated feature bits. */
uint64_t vd_virtio_dev_get_features(const struct vd_virtio_dev *dev);
static inline bool
vd_virtio_dev_has_feature(const struct vd_virtio_dev *dev, unsigned int bit)
{
	return (vd_virtio_dev_get_features(dev) >> bit) & 1;
}
/** The config bytes read during the handshake (\p len receives config_size). */
const void *vd_virtio_dev_get_config(const struct vd_virtio_dev *dev, uint32_t *len);
uint16_t vd_virtio_dev_get_num_queues(const struct vd_virtio_dev *dev);
/** Whether the back-end went away (any thread). */
bool vd_virtio_dev_is_broken(const struct vd_virtio_dev *dev);

/**
 * Claim the first free virtqueue with an index >= \p first for the calling thread (any
 * thread).  \return the queue or NULL when all are taken.
 */
struct vd_virtqueue *vd_virtio_dev_claim_queue(struct vd_virtio_dev *dev, uint16_t first);
/** Give a claimed queue back (its thread); requests still outstanding stay with it. */
void vd_virtio_dev_release_queue(struct vd_virtqueue *vq);

/* Virtqueue data path (claiming thread) ----------------------------------------------------- */

uint16_t vd_virtqueue_get_index(const struct vd_virtqueue *vq);
/** Free descriptors now. */
uint16_t vd_virtqueue_num_free(const struct vd_virtqueue *vq);
/** Requests given to the device and not yet completed. */
uint16_t vd_virtqueue_num_outstanding(const struct vd_virtqueue *vq);

/**
 * Start a request of up to \p max_desc descriptors carrying \p cookie (returned on
 * completion).  \return the head id (index of the request's DMA scratch slot) or -ENOMEM
 * (not enough free descriptors) / -EINVAL (another request is being built, NULL cookie).
 */
int vd_virtqueue_req_start(struct vd_virtqueue *vq, void *cookie, uint16_t max_desc);
/** The DMA scratch slot of head \p head (slot_size bytes, in shared memory). */
void *vd_virtqueue_slot(struct vd_virtqueue *vq, uint16_t head);
/**
 * Append a buffer (device-readable, or device-writable when \p write) to the request being
 * built, split at shared-memory region boundaries.  \return 0, -EFAULT (not in shared
 * memory), -ENOMEM (more descriptors than max_desc), -EINVAL (len 0, no request started).
 */
int vd_virtqueue_req_add(struct vd_virtqueue *vq, const void *buf, uint32_t len, bool write);
/** Make the request available (visible to the device at the next vd_virtqueue_flush). */
void vd_virtqueue_req_end(struct vd_virtqueue *vq);
/** Drop the request being built, returning its descriptors. */
void vd_virtqueue_req_abort(struct vd_virtqueue *vq);
/** Publish the available requests and notify the device if it asked for it. */
void vd_virtqueue_flush(struct vd_virtqueue *vq);

/**
 * Collect up to \p max completed requests: their cookies and the bytes the device wrote.
 * \return how many, or -EIO when the device put an invalid element (the queue is then
 * broken; use vd_virtqueue_abort_all()).
 */
int vd_virtqueue_poll(struct vd_virtqueue *vq, void **cookies, uint32_t *lens, uint16_t max);
/**
 * Forget every outstanding request (the device is gone): up to \p max cookies are returned,
 * call again until it returns 0.  The queue must not be used with the device afterwards.
 */
uint16_t vd_virtqueue_abort_all(struct vd_virtqueue *vq, void **cookies, uint16_t max);

struct vd_virtqueue_stats {
	uint64_t requests;
	uint64_t kicks;
	uint64_t polls_busy;
};
void vd_virtqueue_get_stats(const struct vd_virtqueue *vq, struct vd_virtqueue_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_VIRTIO_H */
