/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * RPC method registry and dispatch, the RPC server life cycle and JSON config application.
 *
 * Libraries register their methods explicitly with vd_<lib>_rpc_register() (no constructors).
 * A method runs on the app thread and answers exactly once, now or later, with
 * vd_rpc_send_result() / vd_rpc_send_bool() / vd_rpc_send_error().  The same handlers serve the
 * UNIX socket and configuration files (vd_rpc_call_local()).
 *
 * Errors sent by the dispatcher: unknown method -> -32601 "Method not found: <name>"; a method
 * not allowed in the current state -> -32601 "Method '<name>' may only be called during
 * startup|runtime".  The registry and the state are used on the app thread only (no locking).
 * The initial state is VD_RPC_STARTUP; the application switches to VD_RPC_RUNTIME once its
 * configuration is applied.  A second answer to the same request is logged and ignored (and
 * asserted in debug builds) when given from inside the method; after the method has returned
 * and answered, the request no longer exists.  Log component: "rpc" (and "jsonrpc").
 */
#ifndef VHOSTD_RPC_H
#define VHOSTD_RPC_H

#include <stdbool.h>
#include <stdint.h>

#include "vhostd/jsonrpc.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;
struct vd_rpc_request;

#define VD_RPC_INVALID_PARAMS VD_JSONRPC_ERROR_INVALID_PARAMS

/** When a method may be called. */
#define VD_RPC_STARTUP	0x1	/**< while the configuration is being applied */
#define VD_RPC_RUNTIME	0x2	/**< once the application runs */

typedef void (*vd_rpc_method_fn)(struct vd_rpc_request *req, struct json_object *params);

/** \return 0, -EEXIST for a duplicate name, -EINVAL (empty name or longer than 128, NULL fn,
 *  empty or unknown state bits), -ENOMEM.  \p name is copied. */
int vd_rpc_register_method(const char *name, vd_rpc_method_fn fn, uint32_t state_mask);
/** Accept \p alias as another name of \p name (e.g. SPDK's older names); it takes the handler
 *  and state mask of \p name, which must be registered first.  \return 0, -ENOENT, -EEXIST,
 *  -EINVAL, -ENOMEM. */
int vd_rpc_register_alias(const char *alias, const char *name);
/** Forget every method (tests, and the end of the application). */
void vd_rpc_unregister_all(void);
bool vd_rpc_method_exists(const char *name);
/** Iterate registered names (methods and aliases) in name order. */
typedef void (*vd_rpc_method_iter_fn)(const char *name, bool is_alias, uint32_t state_mask,
				      void *ctx);
void vd_rpc_for_each_method(vd_rpc_method_iter_fn fn, void *ctx);

void vd_rpc_set_state(uint32_t state);
uint32_t vd_rpc_get_state(void);

/** Answer (exactly once).  \p result ownership is taken. */
void vd_rpc_send_result(struct vd_rpc_request *req, struct json_object *result);
void vd_rpc_send_bool(struct vd_rpc_request *req, bool value);
/**
 * Answer with an error.  \p code: a VD_JSONRPC_ERROR_* code, or a negative errno whose message
 * should come from strerror().
 */
void vd_rpc_send_error(struct vd_rpc_request *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** Shorthand: -32602 "Invalid parameters: '<field>' <why>", e.g. why = "must be a string". */
void vd_rpc_send_invalid_param(struct vd_rpc_request *req, const char *field, const char *why);

/* Parameter helpers: each returns false after answering -32602 naming the field. ------------
 * Messages: "Invalid parameters: params must be an object", "... missing required parameter
 * '<key>'", "... '<key>' must be a string|a boolean|an unsigned integer|an unsigned 32-bit
 * integer", "... unknown parameter '<key>'".  \p params may be NULL (absent).  A key whose value
 * is JSON null counts as absent.  *out is written only when the key is present and valid, so
 * initialise it with the default.  Strings are borrowed from \p params. */
/** Require params to be an object (or absent when \p optional). */
bool vd_rpc_params_object(struct vd_rpc_request *req, struct json_object *params, bool optional);
/** Optional/required typed fields.  Integers must be JSON integers (not 1.0 or "1") and
 *  non-negative; u64 refuses numbers at or beyond 2^64 - 1 (json-c clamps there). */
bool vd_rpc_param_string(struct vd_rpc_request *req, struct json_object *params,
			 const char *key, bool required, const char **out);
bool vd_rpc_param_bool(struct vd_rpc_request *req, struct json_object *params, const char *key,
		       bool required, bool *out);
bool vd_rpc_param_u64(struct vd_rpc_request *req, struct json_object *params, const char *key,
		      bool required, uint64_t *out);
bool vd_rpc_param_u32(struct vd_rpc_request *req, struct json_object *params, const char *key,
		      bool required, uint32_t *out);
/** Reject keys not in the NULL-terminated \p known list (-32602 naming the first unknown). */
bool vd_rpc_params_known(struct vd_rpc_request *req, struct json_object *params,
			 const char *const *known);

/** Start the JSON-RPC server on \p path with a poller (every 1 ms) on the current thread.
 *  Refuses (-EADDRINUSE, logged) a path a live process serves or whose "<path>.lock" another
 *  vhostd holds (its pid is logged); removes a stale socket.  Holds an flock on "<path>.lock"
 *  (mode 0600, contains our pid) for its lifetime.  \return 0, -EBUSY (already listening),
 *  -EINVAL, -ENAMETOOLONG, -EADDRINUSE, -EEXIST (path is not a socket), -ENOMEM (also: no
 *  current thread) or another negative errno. */
int vd_rpc_listen(const char *path);
/** Stop the server, remove the socket and lock files.  Same thread as vd_rpc_listen(); may
 *  be called from inside an RPC method; does nothing when not listening. */
void vd_rpc_close(void);

typedef void (*vd_rpc_local_cb)(void *ctx, struct json_object *result, int err_code,
				const char *err_msg);
/**
 * Call a method in-process (the config path).  \p params borrowed until cb; cb runs once, with
 * err_code 0 and \p result (borrowed for the callback) or with the error code and message the
 * socket would have sent (unknown method and wrong state included).  cb may run before this
 * function returns (methods that answer synchronously).  \return 0, -EINVAL (NULL method or
 * cb), -ENOMEM (cb will not run).
 */
int vd_rpc_call_local(const char *method, struct json_object *params, vd_rpc_local_cb cb,
		      void *ctx);

typedef void (*vd_rpc_config_cb)(void *ctx, int rc);
/**
 * Apply a configuration {"subsystems":[{"subsystem":..., "config":[{"method","params"}...]}]}
 * by calling each method in order (sequentially: each waits for the previous answer).  Stops at
 * the first error unless \p ignore_errors; the error is logged with the method's name and
 * message.  \p config borrowed until cb.  \return 0 (cb will run) or -EINVAL for a malformed
 * document (cb will not run; reason logged).
 *
 * Must be called on a vd_thread (-EINVAL otherwise); cb runs on that thread after this call has
 * returned, with 0 or the first error: the method's negative errno, -ENOENT (unknown method),
 * -EPERM (not allowed in the current state), -EINVAL (a JSON-RPC error such as -32602).  With
 * \p ignore_errors every error is logged and cb gets 0.  "config" may be null or missing;
 * "params" may be missing or null.  Each step starts from a message to the thread, so stack
 * depth stays constant however long the configuration.  Also -ENOMEM.
 */
int vd_rpc_apply_config(struct json_object *config, bool ignore_errors, vd_rpc_config_cb cb,
			void *ctx);

/**
 * Append {"method": \p method, "params": \p params} to \p config, the array a subsystem's
 * write_config_json hook fills.  \p method is copied, \p params taken over.
 */
void vd_rpc_config_add(struct json_object *config, const char *method, struct json_object *params);

/** Register rpc_get_methods {current?: bool, include_aliases?: bool} -> [names] (current: only
 *  the methods allowed in the current state) and the "rpc" log component. */
void vd_rpc_rpc_register(void);

#ifdef __cplusplus
}
#endif
#endif /* VHOSTD_RPC_H */
