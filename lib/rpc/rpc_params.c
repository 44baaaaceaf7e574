/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Parameter helpers for RPC methods.
 *
 * Every helper either succeeds (returns true, writes *out only when the field is present) or
 * answers the request with -32602 naming the field and returns false; the method then returns
 * without answering again.  A field whose value is JSON null counts as absent.  Params that are
 * not an object (a JSON-RPC array, or a scalar from a config file) are refused with
 * "params must be an object".
 */

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "vhostd/rpc.h"

static bool
params_check_object(struct vd_rpc_request *req, struct json_object *params)
{
	if (params != NULL && !json_object_is_type(params, json_type_object)) {
		vd_rpc_send_error(req, VD_RPC_INVALID_PARAMS,
				  "Invalid parameters: params must be an object");
		return false;
	}
	return true;
}

bool
vd_rpc_params_object(struct vd_rpc_request *req, struct json_object *params, bool optional)
{
	if (params == NULL && !optional) {
		vd_rpc_send_error(req, VD_RPC_INVALID_PARAMS,
				  "Invalid parameters: params must be an object");
		return false;
	}
	return params_check_object(req, params);
}

/*
 * Look \p key up.  \return false after answering; true with *val NULL when absent (and not
 * required), or with the value.
 */
static bool
param_get(struct vd_rpc_request *req, struct json_object *params, const char *key,
	  bool required, struct json_object **val)
{
	*val = NULL;
	if (!params_check_object(req, params)) {
		return false;
	}
	if (params != NULL) {
		json_object_object_get_ex(params, key, val);
	}
	if (*val == NULL && required) {
		vd_rpc_send_error(req, VD_RPC_INVALID_PARAMS,
				  "Invalid parameters: missing required parameter '%s'", key);
		return false;
	}
	return true;
}

bool
vd_rpc_param_string(struct vd_rpc_request *req, struct json_object *params, const char *key,
		    bool required, const char **out)
{
	struct json_object *v;

	if (!param_get(req, params, key, required, &v)) {
		return false;
	}
	if (v == NULL) {
		return true;
	}
	if (!json_object_is_type(v, json_type_string)) {
		vd_rpc_send_invalid_param(req, key, "must be a string");
		return false;
	}
	*out = json_object_get_string(v);
	return true;
}

bool
vd_rpc_param_bool(struct vd_rpc_request *req, struct json_object *params, const char *key,
		  bool required, bool *out)
{
	struct json_object *v;

	if (!param_get(req, params, key, required, &v)) {
		return false;
	}
	if (v == NULL) {
		return true;
	}
	if (!json_object_is_type(v, json_type_boolean)) {
		vd_rpc_send_invalid_param(req, key, "must be a boolean");
		return false;
	}
	*out = json_object_get_boolean(v);
	return true;
}

/* \return false when \p v is not a non-negative integer that fits in 64 bits. */
static bool
json_to_u64(struct json_object *v, uint64_t *out)
{
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
		return false;
	}
	*out = json_object_get_uint64(v);
	/* json-c clamps numbers beyond the 64-bit range to UINT64_MAX: refuse those too. */
	return *out != UINT64_MAX;
}

bool
vd_rpc_param_u64(struct vd_rpc_request *req, struct json_object *params, const char *key,
		 bool required, uint64_t *out)
{
	struct json_object *v;
	uint64_t val;

	if (!param_get(req, params, key, required, &v)) {
		return false;
	}
	if (v == NULL) {
		return true;
	}
	if (!json_to_u64(v, &val)) {
		vd_rpc_send_invalid_param(req, key, "must be an unsigned integer");
		return false;
	}
	*out = val;
	return true;
}

bool
vd_rpc_param_u32(struct vd_rpc_request *req, struct json_object *params, const char *key,
		 bool required, uint32_t *out)
{
	struct json_object *v;
	uint64_t val;

	if (!param_get(req, params, key, required, &v)) {
		return false;
	}
	if (v == NULL) {
		return true;
	}
	if (!json_to_u64(v, &val) || val > UINT32_MAX) {
		vd_rpc_send_invalid_param(req, key, "must be an unsigned 32-bit integer");
		return false;
	}
	*out = (uint32_t)val;
	return true;
}

static bool
key_known(const char *key, const char *const *known)
{
	for (; *known != NULL; known++) {
		if (strcmp(key, *known) == 0) {
			return true;
		}
	}
	return false;
}

bool
vd_rpc_params_known(struct vd_rpc_request *req, struct json_object *params,
		    const char *const *known)
{
	if (!params_check_object(req, params)) {
		return false;
	}
	if (params == NULL) {
		return true;
	}
	json_object_object_foreach(params, key, val) {
		(void)val;
		if (!key_known(key, known)) {
			vd_rpc_send_error(req, VD_RPC_INVALID_PARAMS,
					  "Invalid parameters: unknown parameter '%s'", key);
			return false;
		}
	}
	return true;
}
