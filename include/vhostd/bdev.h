/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * Block device layer: the consumer API (controllers, bdevperf).
 *
 * A consumer opens a descriptor on a bdev by name, optionally claims it exclusively, gets an
 * I/O channel on each thread that submits, and submits I/O with a completion callback.  All
 * calls on a descriptor/channel happen on the thread that owns them; completions run on the
 * submitting thread.  Offsets and lengths are in blocks and are bounds-checked against the
 * bdev (a request past the end fails synchronously with -EINVAL).
 *
 * Async contract: a submit function returning 0 calls cb exactly once, later; a non-zero
 * return (-EINVAL bad range/arguments, -ENOMEM no bdev_io available right now, -EBADF
 * descriptor not writable, -ENOTSUP I/O type unsupported, -ENODEV bdev being removed) means
 * cb never runs.  On -ENOMEM use vd_bdev_queue_io_wait() to be called back when an I/O frees up.
 */
#ifndef VHOSTD_BDEV_H
#define VHOSTD_BDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vd_bdev;
struct vd_bdev_desc;
struct vd_bdev_io;
struct vd_io_channel;
struct json_object;

#define VD_BDEV_MAX_NAME_LEN 64

enum vd_bdev_io_type {
	VD_BDEV_IO_TYPE_INVALID = 0,
	VD_BDEV_IO_TYPE_READ,
	VD_BDEV_IO_TYPE_WRITE,
	VD_BDEV_IO_TYPE_FLUSH,
	VD_BDEV_IO_TYPE_UNMAP,
	VD_BDEV_IO_TYPE_WRITE_ZEROES,
	VD_BDEV_IO_TYPE_RESET,
	VD_BDEV_NUM_IO_TYPES,
};

enum vd_bdev_io_status {
	VD_BDEV_IO_STATUS_ABORTED = -3,	/**< reset, hot-remove or shutdown aborted it */
	VD_BDEV_IO_STATUS_NOMEM = -2,	/**< module only: out of resources, bdev layer retries */
	VD_BDEV_IO_STATUS_FAILED = -1,
	VD_BDEV_IO_STATUS_PENDING = 0,
	VD_BDEV_IO_STATUS_SUCCESS = 1,
};

enum vd_bdev_event_type {
	VD_BDEV_EVENT_REMOVE,	/**< close the descriptor soon; new I/O fails with -ENODEV */
	VD_BDEV_EVENT_RESIZE,
};

/** Runs on the thread that opened the descriptor. */
typedef void (*vd_bdev_event_cb)(enum vd_bdev_event_type type, struct vd_bdev *bdev,
				 void *event_ctx);
/** I/O completion: free \p bdev_io with vd_bdev_free_io() when done with it. */
typedef void (*vd_bdev_io_completion_cb)(struct vd_bdev_io *bdev_io, bool success, void *cb_arg);
typedef void (*vd_bdev_init_cb)(void *cb_arg, int rc);
typedef void (*vd_bdev_fini_cb)(void *cb_arg);

/** Entry for vd_bdev_queue_io_wait(): set cb_fn/cb_arg; the bdev layer owns the link. */
struct vd_bdev_io_wait_entry {
	struct vd_bdev *bdev;
	void (*cb_fn)(void *cb_arg);
	void *cb_arg;
	struct vd_bdev_io_wait_entry *next;
};

struct vd_bdev_io_stat {
	uint64_t bytes_read;
	uint64_t num_read_ops;
	uint64_t bytes_written;
	uint64_t num_write_ops;
	uint64_t bytes_unmapped;
	uint64_t num_unmap_ops;
	uint64_t num_flush_ops;
	uint64_t num_write_zeroes_ops;
	uint64_t bytes_zeroed;
	uint64_t num_reset_ops;
	uint64_t num_errors;
	uint64_t read_latency_ticks;
	uint64_t write_latency_ticks;
	uint64_t unmap_latency_ticks;
	uint64_t flush_latency_ticks;
	uint64_t write_zeroes_latency_ticks;
	uint64_t max_read_latency_ticks;
	uint64_t max_write_latency_ticks;
};

/* Library life cycle (app thread) ---------------------------------------------------------- */

/** Initialise the bdev layer and every registered module.  cb runs once. */
void vd_bdev_initialize(vd_bdev_init_cb cb, void *cb_arg);
/** Unregister every bdev, finish every module.  cb runs once. */
void vd_bdev_finish(vd_bdev_fini_cb cb, void *cb_arg);
/** The "bdev" subsystem (init/fini/config) for vd_subsystem_register(). */
struct vd_subsystem *vd_bdev_subsystem(void);
/** Register the core methods bdev_get_bdevs and bdev_get_iostat.  Each module registers its
 *  own (vd_bdev_malloc_rpc_register(), ...) from the application's module table. */
void vd_bdev_rpc_register(void);

/* Lookup and properties -------------------------------------------------------------------- */

struct vd_bdev *vd_bdev_get_by_name(const char *name_or_alias);
struct vd_bdev *vd_bdev_first(void);
struct vd_bdev *vd_bdev_next(struct vd_bdev *prev);
const char *vd_bdev_get_name(const struct vd_bdev *bdev);
const char *vd_bdev_get_product_name(const struct vd_bdev *bdev);
uint32_t vd_bdev_get_block_size(const struct vd_bdev *bdev);
uint64_t vd_bdev_get_num_blocks(const struct vd_bdev *bdev);
/** 16 raw bytes. */
const uint8_t *vd_bdev_get_uuid(const struct vd_bdev *bdev);
/** Formats the UUID as 36 characters + NUL into buf (≥ 37 bytes). */
void vd_bdev_get_uuid_str(const struct vd_bdev *bdev, char *buf);
bool vd_bdev_io_type_supported(struct vd_bdev *bdev, enum vd_bdev_io_type type);
/** Whether a write-back cache means FLUSH matters. */
bool vd_bdev_has_write_cache(const struct vd_bdev *bdev);
/** Largest UNMAP / WRITE_ZEROES in blocks in one request (0 = no limit). */
uint64_t vd_bdev_get_max_unmap_blocks(const struct vd_bdev *bdev);
uint64_t vd_bdev_get_max_write_zeroes_blocks(const struct vd_bdev *bdev);
/** Required buffer alignment in bytes (1 = none; O_DIRECT backends need more). */
uint32_t vd_bdev_get_buf_align(const struct vd_bdev *bdev);
bool vd_bdev_is_claimed(const struct vd_bdev *bdev);
const char *vd_bdev_get_claimer(const struct vd_bdev *bdev);
const char *vd_bdev_io_type_name(enum vd_bdev_io_type type);

/* Descriptors ------------------------------------------------------------------------------ */

/**
 * Open \p name (or an alias).  \p event_cb is required (REMOVE must be handled).
 * \return 0, -ENODEV (no such bdev or being removed), -EPERM (write open of a bdev claimed by
 * someone else), -ENOMEM.
 */
int vd_bdev_open_ext(const char *name, bool write, vd_bdev_event_cb event_cb, void *event_ctx,
		     struct vd_bdev_desc **desc);
/** Close (owning thread).  All channels from this descriptor must have been put first. */
void vd_bdev_close(struct vd_bdev_desc *desc);
struct vd_bdev *vd_bdev_desc_get_bdev(struct vd_bdev_desc *desc);
/**
 * Claim the bdev exclusively for this descriptor (e.g. a vhost controller).  \p claimer copied.
 * \return 0, or -EPERM naming the current claimer in the log.
 */
int vd_bdev_claim(struct vd_bdev_desc *desc, const char *claimer);
void vd_bdev_release_claim(struct vd_bdev_desc *desc);

/** A channel for submitting on the current thread (vd_put_io_channel() to release). */
struct vd_io_channel *vd_bdev_get_io_channel(struct vd_bdev_desc *desc);

/* I/O submission (thread of the channel) --------------------------------------------------- */

int vd_bdev_read_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch, void *buf,
			uint64_t offset_blocks, uint64_t num_blocks, vd_bdev_io_completion_cb cb,
			void *cb_arg);
int vd_bdev_readv_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch,
			 struct iovec *iov, int iovcnt, uint64_t offset_blocks,
			 uint64_t num_blocks, vd_bdev_io_completion_cb cb, void *cb_arg);
int vd_bdev_write_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch, void *buf,
			 uint64_t offset_blocks, uint64_t num_blocks, vd_bdev_io_completion_cb cb,
			 void *cb_arg);
int vd_bdev_writev_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch,
			  struct iovec *iov, int iovcnt, uint64_t offset_blocks,
			  uint64_t num_blocks, vd_bdev_io_completion_cb cb, void *cb_arg);
int vd_bdev_flush_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch,
			 uint64_t offset_blocks, uint64_t num_blocks, vd_bdev_io_completion_cb cb,
			 void *cb_arg);
int vd_bdev_unmap_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch,
			 uint64_t offset_blocks, uint64_t num_blocks, vd_bdev_io_completion_cb cb,
			 void *cb_arg);
int vd_bdev_write_zeroes_blocks(struct vd_bdev_desc *desc, struct vd_io_channel *ch,
				uint64_t offset_blocks, uint64_t num_blocks,
				vd_bdev_io_completion_cb cb, void *cb_arg);
int vd_bdev_reset(struct vd_bdev_desc *desc, struct vd_io_channel *ch,
		  vd_bdev_io_completion_cb cb, void *cb_arg);

/** Release a completed I/O back to its channel's cache. */
void vd_bdev_free_io(struct vd_bdev_io *bdev_io);
enum vd_bdev_io_status vd_bdev_io_get_status(const struct vd_bdev_io *bdev_io);
/** Negative errno of a failed I/O when the module gave one (else -EIO), 0 on success. */
int vd_bdev_io_get_errno(const struct vd_bdev_io *bdev_io);
enum vd_bdev_io_type vd_bdev_io_get_type(const struct vd_bdev_io *bdev_io);

/**
 * Be called back on this thread when a bdev_io is freed on \p ch, after a submit returned
 * -ENOMEM.  \return 0, or -EINVAL if entry->bdev does not match the channel.
 */
int vd_bdev_queue_io_wait(struct vd_bdev *bdev, struct vd_io_channel *ch,
			  struct vd_bdev_io_wait_entry *entry);

/* Statistics ------------------------------------------------------------------------------- */

/** Statistics of this channel only (owning thread). */
void vd_bdev_get_io_channel_stat(struct vd_io_channel *ch, struct vd_bdev_io_stat *stat);
typedef void (*vd_bdev_get_device_stat_cb)(struct vd_bdev *bdev, struct vd_bdev_io_stat *stat,
					   void *cb_arg, int rc);
/** Sum over all channels (and those already closed) of \p bdev; cb on the calling thread. */
void vd_bdev_get_device_stat(struct vd_bdev *bdev, struct vd_bdev_io_stat *stat,
			     vd_bdev_get_device_stat_cb cb, void *cb_arg);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_BDEV_H */
