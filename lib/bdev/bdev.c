/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * Block device layer: module and bdev registries, descriptors, claims and removal.
 *
 * Invariants:
 * - g_bdevs lists bdevs in state READY; names and aliases are unique across it (checked and
 *   changed under g_bdev_mutex).  A bdev leaves g_bdevs when its removal starts, so it cannot
 *   be opened or found any more while its open descriptors drain.
 * - bi->descs (under bi->mutex) lists open descriptors; each descriptor belongs to the thread
 *   that opened it and is touched (events, close) only there.  desc->refs counts REMOVE event
 *   messages still queued for it; a closed descriptor is freed when refs reaches 0.
 * - At most one descriptor claims a bdev (bi->claim_desc); while claimed, no other descriptor
 *   may be open for writing.
 *
 * Bdev states:
 *   (module fills struct vd_bdev) --vd_bdev_register--> READY
 *   READY --vd_bdev_unregister--> REMOVING: REMOVE sent to every descriptor
 *   REMOVING --last vd_bdev_close (or none open)--> destruct on the unregistering thread:
 *     vd_io_device_unregister (waits for channels) -> fn_table->destruct ->
 *     (vd_bdev_destruct_done if destruct returned > 0) -> unregister cb(rc)
 */

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "vhostd/env.h"
#include "vhostd/util.h"
#include "bdev_internal.h"

VD_LOG_FLAG_DEFINE(bdev);

pthread_mutex_t g_bdev_mutex = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(bdev_list_head, bdev_internal) g_bdevs = TAILQ_HEAD_INITIALIZER(g_bdevs);
static struct vd_bdev_module *g_modules;
void *g_bdev_zero_buf;
static bool g_zero_buf_dma;

/* Modules ---------------------------------------------------------------------------------- */

void
vd_bdev_module_register(struct vd_bdev_module *module)
{
	struct vd_bdev_module **m;

	pthread_mutex_lock(&g_bdev_mutex);
	for (m = &g_modules; *m != NULL; m = &(*m)->next) {
		if (*m == module) {
			pthread_mutex_unlock(&g_bdev_mutex);
			return;
		}
	}
	module->next = NULL;
	*m = module;
	pthread_mutex_unlock(&g_bdev_mutex);
}

struct vd_bdev_module *
vd_bdev_module_find(const char *name)
{
	struct vd_bdev_module *m;

	pthread_mutex_lock(&g_bdev_mutex);
	for (m = g_modules; m != NULL; m = m->next) {
		if (strcmp(m->name, name) == 0) {
			break;
		}
	}
	pthread_mutex_unlock(&g_bdev_mutex);
	return m;
}

/* Modules are only added before start-up, so the list can be walked without the lock. */
struct vd_bdev_module *
bdev_module_first(void)
{
	return g_modules;
}

static int
zero_buf_alloc(void)
{
	int rc;

	if (g_bdev_zero_buf != NULL) {
		return 0;
	}
	g_bdev_zero_buf = vd_dma_zmalloc(BDEV_ZERO_BUF_SIZE, 4096);
	if (g_bdev_zero_buf != NULL) {
		g_zero_buf_dma = true;
		return 0;
	}
	if (vd_env_is_initialized()) {
		VD_ERRLOG("cannot allocate the %u-byte zero buffer\n", BDEV_ZERO_BUF_SIZE);
		return -ENOMEM;
	}
	/* No EAL (unit tests, tools): plain memory is fine for CPU-copying backends. */
	rc = posix_memalign(&g_bdev_zero_buf, 4096, BDEV_ZERO_BUF_SIZE);
	if (rc != 0) {
		g_bdev_zero_buf = NULL;
		return -ENOMEM;
	}
	memset(g_bdev_zero_buf, 0, BDEV_ZERO_BUF_SIZE);
	g_zero_buf_dma = false;
	return 0;
}

static void
zero_buf_free(void)
{
	if (g_zero_buf_dma) {
		vd_dma_free(g_bdev_zero_buf);
	} else {
		free(g_bdev_zero_buf);
	}
	g_bdev_zero_buf = NULL;
}

void
vd_bdev_initialize(vd_bdev_init_cb cb, void *cb_arg)
{
	struct vd_bdev_module *m;
	int rc;

	vd_log_flag_register(&VD_LOG_FLAG(bdev));
	rc = zero_buf_alloc();
	for (m = g_modules; rc == 0 && m != NULL; m = m->next) {
		if (m->module_init == NULL) {
			continue;
		}
		rc = m->module_init();
		if (rc != 0) {
			VD_ERRLOG("bdev module %s failed to initialise: %s\n", m->name,
				  strerror(-rc));
		}
	}
	cb(cb_arg, rc);
}

struct bdev_finish_ctx {
	vd_bdev_fini_cb cb;
	void *cb_arg;
};

static void bdev_finish_next(struct bdev_finish_ctx *ctx);

static void
bdev_finish_unregistered(void *arg, int rc)
{
	bdev_finish_next(arg);
}

/* Unregister the last bdev still listed, one at a time (newest first), then the modules. */
static void
bdev_finish_next(struct bdev_finish_ctx *ctx)
{
	struct bdev_internal *bi;
	struct vd_bdev_module *m;

	pthread_mutex_lock(&g_bdev_mutex);
	bi = TAILQ_LAST(&g_bdevs, bdev_list_head);
	pthread_mutex_unlock(&g_bdev_mutex);
	if (bi != NULL) {
		vd_bdev_unregister(bi->bdev, bdev_finish_unregistered, ctx);
		return;
	}
	for (m = g_modules; m != NULL; m = m->next) {
		if (m->module_fini != NULL) {
			m->module_fini();
		}
	}
	zero_buf_free();
	ctx->cb(ctx->cb_arg);
	free(ctx);
}

void
vd_bdev_finish(vd_bdev_fini_cb cb, void *cb_arg)
{
	struct bdev_finish_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL) {
		VD_ERRLOG("out of memory finishing the bdev layer\n");
		cb(cb_arg);
		return;
	}
	ctx->cb = cb;
	ctx->cb_arg = cb_arg;
	bdev_finish_next(ctx);
}

/* UUIDs ------------------------------------------------------------------------------------ */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
vd_uuid_parse(uint8_t uuid[16], const char *str)
{
	uint8_t out[16];
	int i, hi, lo, n = 0;

	if (str == NULL || strlen(str) != 36) {
		return -EINVAL;
	}
	for (i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (str[i++] != '-') {
				return -EINVAL;
			}
			continue;
		}
		hi = hexval(str[i]);
		lo = hexval(str[i + 1]);
		if (hi < 0 || lo < 0) {
			return -EINVAL;
		}
		out[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	memcpy(uuid, out, sizeof(out));
	return 0;
}

void
vd_uuid_fmt(const uint8_t u[16], char *buf)
{
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static bool
uuid_is_zero(const uint8_t u[16])
{
	static const uint8_t zero[16];

	return memcmp(u, zero, sizeof(zero)) == 0;
}

static int
uuid_generate(uint8_t u[16])
{
	ssize_t n;

	do {
		n = getrandom(u, 16, 0);
	} while (n < 0 && errno == EINTR);
	if (n != 16) {
		return -EIO;
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);	/* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	return 0;
}

/* Registration ----------------------------------------------------------------------------- */

/** Names: 1..VD_BDEV_MAX_NAME_LEN-1 printable characters, no '/'. */
static bool
name_valid(const char *name)
{
	size_t len, i;

	if (name == NULL) {
		return false;
	}
	len = strnlen(name, VD_BDEV_MAX_NAME_LEN);
	if (len == 0 || len >= VD_BDEV_MAX_NAME_LEN) {
		return false;
	}
	for (i = 0; i < len; i++) {
		if (!isprint((unsigned char)name[i]) || name[i] == '/') {
			return false;
		}
	}
	return true;
}

/* Caller holds g_bdev_mutex. */
static struct bdev_internal *
find_locked(const char *name)
{
	struct bdev_internal *bi;
	struct bdev_alias *a;

	TAILQ_FOREACH(bi, &g_bdevs, link) {
		if (strcmp(bi->bdev->name, name) == 0) {
			return bi;
		}
		TAILQ_FOREACH(a, &bi->aliases, link) {
			if (strcmp(a->name, name) == 0) {
				return bi;
			}
		}
	}
	return NULL;
}

static int
bdev_check(const struct vd_bdev *bdev)
{
	const struct vd_bdev_fn_table *fn = bdev->fn_table;

	if (!name_valid(bdev->name)) {
		VD_ERRLOG("invalid bdev name '%s' (1..%d printable characters, no '/')\n",
			  bdev->name ? bdev->name : "(null)", VD_BDEV_MAX_NAME_LEN - 1);
		return -EINVAL;
	}
	if (!VD_IS_POW2(bdev->blocklen) || bdev->blocklen < 512 || bdev->blocklen > 65536) {
		VD_ERRLOG("bdev %s: block size %u is not a power of two in 512..65536\n",
			  bdev->name, bdev->blocklen);
		return -EINVAL;
	}
	if (bdev->blockcnt == 0 || bdev->blockcnt > (UINT64_MAX >> 16)) {
		VD_ERRLOG("bdev %s: invalid block count %lu\n", bdev->name,
			  (unsigned long)bdev->blockcnt);
		return -EINVAL;
	}
	if (fn == NULL || fn->submit_request == NULL || fn->get_io_channel == NULL ||
	    fn->io_type_supported == NULL || fn->destruct == NULL || bdev->module == NULL) {
		VD_ERRLOG("bdev %s: incomplete module or function table\n", bdev->name);
		return -EINVAL;
	}
	return 0;
}

static struct bdev_internal *
internal_new(struct vd_bdev *bdev)
{
	struct bdev_internal *bi = calloc(1, sizeof(*bi));
	int t;

	if (bi == NULL) {
		return NULL;
	}
	bi->bdev = bdev;
	TAILQ_INIT(&bi->aliases);
	TAILQ_INIT(&bi->descs);
	pthread_mutex_init(&bi->mutex, NULL);
	bi->state = BDEV_STATE_READY;
	vd_strcpy_trunc(bi->name, sizeof(bi->name), bdev->name);
	bi->blocklen_shift = (uint32_t)__builtin_ctz(bdev->blocklen);
	bi->driver_ctx_size = bdev->module->get_ctx_size ? bdev->module->get_ctx_size() : 0;
	for (t = VD_BDEV_IO_TYPE_READ; t < VD_BDEV_NUM_IO_TYPES; t++) {
		bi->supported[t] = bdev->fn_table->io_type_supported(bdev->ctxt, t);
	}
	return bi;
}

static void
internal_free(struct bdev_internal *bi)
{
	struct bdev_alias *a;

	while ((a = TAILQ_FIRST(&bi->aliases)) != NULL) {
		TAILQ_REMOVE(&bi->aliases, a, link);
		free(a);
	}
	pthread_mutex_destroy(&bi->mutex);
	free(bi);
}

int
vd_bdev_register(struct vd_bdev *bdev)
{
	struct bdev_internal *bi;
	int rc;

	rc = bdev_check(bdev);
	if (rc != 0) {
		return rc;
	}
	if (uuid_is_zero(bdev->uuid) && uuid_generate(bdev->uuid) != 0) {
		VD_ERRLOG("bdev %s: cannot generate a UUID\n", bdev->name);
		return -EIO;
	}
	bi = internal_new(bdev);
	if (bi == NULL) {
		return -ENOMEM;
	}
	pthread_mutex_lock(&g_bdev_mutex);
	if (find_locked(bdev->name) != NULL) {
		pthread_mutex_unlock(&g_bdev_mutex);
		VD_ERRLOG("bdev %s already exists\n", bdev->name);
		internal_free(bi);
		return -EEXIST;
	}
	bdev->internal = bi;
	bdev_io_device_register(bdev);
	TAILQ_INSERT_TAIL(&g_bdevs, bi, link);
	pthread_mutex_unlock(&g_bdev_mutex);
	VD_INFOLOG(bdev, "registered bdev %s (%lu x %u bytes, module %s)\n", bdev->name,
		   (unsigned long)bdev->blockcnt, bdev->blocklen, bdev->module->name);
	return 0;
}

int
vd_bdev_alias_add(struct vd_bdev *bdev, const char *alias)
{
	struct bdev_alias *a;

	if (!name_valid(alias) || bdev->internal == NULL) {
		return -EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		return -ENOMEM;
	}
	vd_strcpy_trunc(a->name, sizeof(a->name), alias);
	pthread_mutex_lock(&g_bdev_mutex);
	if (find_locked(alias) != NULL) {
		pthread_mutex_unlock(&g_bdev_mutex);
		free(a);
		VD_ERRLOG("bdev alias %s already exists\n", alias);
		return -EEXIST;
	}
	TAILQ_INSERT_TAIL(&bdev->internal->aliases, a, link);
	pthread_mutex_unlock(&g_bdev_mutex);
	return 0;
}

/* Lookup and properties -------------------------------------------------------------------- */

struct vd_bdev *
vd_bdev_get_by_name(const char *name)
{
	struct bdev_internal *bi;

	if (name == NULL) {
		return NULL;
	}
	pthread_mutex_lock(&g_bdev_mutex);
	bi = find_locked(name);
	pthread_mutex_unlock(&g_bdev_mutex);
	return bi != NULL ? bi->bdev : NULL;
}

struct vd_bdev *
vd_bdev_first(void)
{
	struct bdev_internal *bi;

	pthread_mutex_lock(&g_bdev_mutex);
	bi = TAILQ_FIRST(&g_bdevs);
	pthread_mutex_unlock(&g_bdev_mutex);
	return bi != NULL ? bi->bdev : NULL;
}

struct vd_bdev *
vd_bdev_next(struct vd_bdev *prev)
{
	struct bdev_internal *bi;

	pthread_mutex_lock(&g_bdev_mutex);
	bi = prev->internal->state == BDEV_STATE_READY ? TAILQ_NEXT(prev->internal, link) : NULL;
	pthread_mutex_unlock(&g_bdev_mutex);
	return bi != NULL ? bi->bdev : NULL;
}

bool
bdev_is_removing(const struct vd_bdev *bdev)
{
	return __atomic_load_n(&bdev->internal->state, __ATOMIC_RELAXED) != BDEV_STATE_READY;
}

const char *
vd_bdev_get_name(const struct vd_bdev *bdev)
{
	return bdev->name;
}

const char *
vd_bdev_get_product_name(const struct vd_bdev *bdev)
{
	return bdev->product_name != NULL ? bdev->product_name : "";
}

uint32_t
vd_bdev_get_block_size(const struct vd_bdev *bdev)
{
	return bdev->blocklen;
}

uint64_t
vd_bdev_get_num_blocks(const struct vd_bdev *bdev)
{
	return bdev->blockcnt;
}

const uint8_t *
vd_bdev_get_uuid(const struct vd_bdev *bdev)
{
	return bdev->uuid;
}

void
vd_bdev_get_uuid_str(const struct vd_bdev *bdev, char *buf)
{
	vd_uuid_fmt(bdev->uuid, buf);
}

bool
vd_bdev_io_type_supported(struct vd_bdev *bdev, enum vd_bdev_io_type type)
{
	struct bdev_internal *bi = bdev->internal;

	if (type <= VD_BDEV_IO_TYPE_INVALID || type >= VD_BDEV_NUM_IO_TYPES) {
		return false;
	}
	switch (type) {
	case VD_BDEV_IO_TYPE_WRITE_ZEROES:
		/* Emulated with writes of the zero buffer. */
		return bi->supported[type] || bi->supported[VD_BDEV_IO_TYPE_WRITE];
	case VD_BDEV_IO_TYPE_RESET:
		return true;	/* emulated by draining the channel */
	default:
		return bi->supported[type];
	}
}

bool
vd_bdev_has_write_cache(const struct vd_bdev *bdev)
{
	return bdev->write_cache;
}

uint64_t
vd_bdev_get_max_unmap_blocks(const struct vd_bdev *bdev)
{
	return bdev->max_unmap_blocks;
}

uint64_t
vd_bdev_get_max_write_zeroes_blocks(const struct vd_bdev *bdev)
{
	return bdev->max_write_zeroes_blocks;
}

uint32_t
vd_bdev_get_buf_align(const struct vd_bdev *bdev)
{
	return bdev->required_alignment > 1 ? bdev->required_alignment : 1;
}

bool
vd_bdev_is_claimed(const struct vd_bdev *bdev)
{
	bool claimed;

	pthread_mutex_lock(&bdev->internal->mutex);
	claimed = bdev->internal->claim_desc != NULL;
	pthread_mutex_unlock(&bdev->internal->mutex);
	return claimed;
}

/* The returned string stays valid until the claim is released. */
const char *
vd_bdev_get_claimer(const struct vd_bdev *bdev)
{
	const char *claimer;

	pthread_mutex_lock(&bdev->internal->mutex);
	claimer = bdev->internal->claim_desc != NULL ? bdev->internal->claimer : NULL;
	pthread_mutex_unlock(&bdev->internal->mutex);
	return claimer;
}

const char *
vd_bdev_io_type_name(enum vd_bdev_io_type type)
{
	static const char *const names[VD_BDEV_NUM_IO_TYPES] = {
		[VD_BDEV_IO_TYPE_INVALID] = "invalid",
		[VD_BDEV_IO_TYPE_READ] = "read",
		[VD_BDEV_IO_TYPE_WRITE] = "write",
		[VD_BDEV_IO_TYPE_FLUSH] = "flush",
		[VD_BDEV_IO_TYPE_UNMAP] = "unmap",
		[VD_BDEV_IO_TYPE_WRITE_ZEROES] = "write_zeroes",
		[VD_BDEV_IO_TYPE_RESET] = "reset",
	};

	return (type >= 0 && type < VD_BDEV_NUM_IO_TYPES) ? names[type] : "invalid";
}

void
bdev_stat_add(struct vd_bdev_io_stat *dst, const struct vd_bdev_io_stat *src)
{
	dst->bytes_read += src->bytes_read;
	dst->num_read_ops += src->num_read_ops;
	dst->bytes_written += src->bytes_written;
	dst->num_write_ops += src->num_write_ops;
	dst->bytes_unmapped += src->bytes_unmapped;
	dst->num_unmap_ops += src->num_unmap_ops;
	dst->num_flush_ops += src->num_flush_ops;
	dst->num_write_zeroes_ops += src->num_write_zeroes_ops;
	dst->bytes_zeroed += src->bytes_zeroed;
	dst->num_reset_ops += src->num_reset_ops;
	dst->num_errors += src->num_errors;
	dst->read_latency_ticks += src->read_latency_ticks;
	dst->write_latency_ticks += src->write_latency_ticks;
	dst->unmap_latency_ticks += src->unmap_latency_ticks;
	dst->flush_latency_ticks += src->flush_latency_ticks;
	dst->write_zeroes_latency_ticks += src->write_zeroes_latency_ticks;
	dst->max_read_latency_ticks = VD_MAX(dst->max_read_latency_ticks,
					     src->max_read_latency_ticks);
	dst->max_write_latency_ticks = VD_MAX(dst->max_write_latency_ticks,
					      src->max_write_latency_ticks);
}

/* Descriptors and claims ------------------------------------------------------------------- */

/* Caller holds bi->mutex. */
static bool
claimed_by_other_locked(struct bdev_internal *bi, const struct vd_bdev_desc *desc)
{
	return bi->claim_desc != NULL && bi->claim_desc != desc;
}

int
vd_bdev_open_ext(const char *name, bool write, vd_bdev_event_cb event_cb, void *event_ctx,
		 struct vd_bdev_desc **_desc)
{
	struct vd_bdev_desc *desc;
	struct bdev_internal *bi;

	if (event_cb == NULL || name == NULL || vd_get_thread() == NULL) {
		return -EINVAL;
	}
	desc = calloc(1, sizeof(*desc));
	if (desc == NULL) {
		return -ENOMEM;
	}
	desc->thread = vd_get_thread();
	desc->event_cb = event_cb;
	desc->event_ctx = event_ctx;
	desc->write = write;

	pthread_mutex_lock(&g_bdev_mutex);
	bi = find_locked(name);
	if (bi == NULL) {
		pthread_mutex_unlock(&g_bdev_mutex);
		free(desc);
		return -ENODEV;
	}
	pthread_mutex_lock(&bi->mutex);
	if (write && claimed_by_other_locked(bi, NULL)) {
		VD_ERRLOG("bdev %s is claimed by %s: cannot open it for writing\n", bi->name,
			  bi->claimer);
		pthread_mutex_unlock(&bi->mutex);
		pthread_mutex_unlock(&g_bdev_mutex);
		free(desc);
		return -EPERM;
	}
	desc->bdev = bi->bdev;
	TAILQ_INSERT_TAIL(&bi->descs, desc, link);
	pthread_mutex_unlock(&bi->mutex);
	pthread_mutex_unlock(&g_bdev_mutex);
	*_desc = desc;
	return 0;
}

struct vd_bdev *
vd_bdev_desc_get_bdev(struct vd_bdev_desc *desc)
{
	return desc->bdev;
}

int
vd_bdev_claim(struct vd_bdev_desc *desc, const char *claimer)
{
	struct bdev_internal *bi = desc->bdev->internal;
	struct vd_bdev_desc *d;
	int rc = 0;

	pthread_mutex_lock(&bi->mutex);
	if (claimed_by_other_locked(bi, desc)) {
		VD_ERRLOG("bdev %s already claimed by %s\n", bi->name, bi->claimer);
		rc = -EPERM;
		goto out;
	}
	TAILQ_FOREACH(d, &bi->descs, link) {
		if (d != desc && d->write) {
			VD_ERRLOG("bdev %s: cannot claim for %s, another descriptor has it open "
				  "for writing\n", bi->name, claimer);
			rc = -EPERM;
			goto out;
		}
	}
	bi->claim_desc = desc;
	vd_strcpy_trunc(bi->claimer, sizeof(bi->claimer), claimer ? claimer : "unknown");
	desc->write = true;
out:
	pthread_mutex_unlock(&bi->mutex);
	return rc;
}

void
vd_bdev_release_claim(struct vd_bdev_desc *desc)
{
	struct bdev_internal *bi = desc->bdev->internal;

	pthread_mutex_lock(&bi->mutex);
	if (bi->claim_desc == desc) {
		bi->claim_desc = NULL;
		bi->claimer[0] = '\0';
	}
	pthread_mutex_unlock(&bi->mutex);
}

static void bdev_destruct_start(void *arg);

void
vd_bdev_close(struct vd_bdev_desc *desc)
{
	struct bdev_internal *bi;
	bool last;

	if (desc == NULL) {
		return;
	}
	bi = desc->bdev->internal;
	assert(desc->thread == vd_get_thread());
	pthread_mutex_lock(&bi->mutex);
	TAILQ_REMOVE(&bi->descs, desc, link);
	if (bi->claim_desc == desc) {
		bi->claim_desc = NULL;
		bi->claimer[0] = '\0';
	}
	last = bi->state == BDEV_STATE_REMOVING && TAILQ_EMPTY(&bi->descs);
	pthread_mutex_unlock(&bi->mutex);

	desc->closed = true;
	if (desc->refs == 0) {
		free(desc);
	}
	if (last && vd_thread_send_msg(bi->unregister_thread, bdev_destruct_start, bi) != 0) {
		VD_ERRLOG("bdev %s: cannot message the unregistering thread; destructing here\n",
			  bi->name);
		bdev_destruct_start(bi);
	}
}

/* Removal ---------------------------------------------------------------------------------- */

static void
remove_event_msg(void *arg)
{
	struct vd_bdev_desc *desc = arg;

	desc->refs--;
	if (!desc->closed) {
		desc->event_cb(VD_BDEV_EVENT_REMOVE, desc->bdev, desc->event_ctx);
	}
	if (desc->closed && desc->refs == 0) {
		free(desc);
	}
}

struct unregister_fail {
	vd_bdev_unregister_cb cb;
	void *cb_arg;
	int rc;
};

static void
unregister_fail_msg(void *arg)
{
	struct unregister_fail *f = arg;

	f->cb(f->cb_arg, f->rc);
	free(f);
}

/* Report a refused unregister after the call returned, like every other outcome. */
static void
unregister_fail(vd_bdev_unregister_cb cb, void *cb_arg, int rc)
{
	struct unregister_fail *f;

	if (cb == NULL) {
		return;
	}
	f = malloc(sizeof(*f));
	if (f == NULL || vd_get_thread() == NULL ||
	    vd_thread_send_msg(vd_get_thread(), unregister_fail_msg, f) != 0) {
		free(f);
		cb(cb_arg, rc);
		return;
	}
	f->cb = cb;
	f->cb_arg = cb_arg;
	f->rc = rc;
}

/* Caller holds bi->mutex.  \return whether no descriptor is open. */
static bool
notify_descs_locked(struct bdev_internal *bi)
{
	struct vd_bdev_desc *desc;

	TAILQ_FOREACH(desc, &bi->descs, link) {
		/* refs is the desc thread's; we are under bi->mutex and close takes it too */
		__atomic_fetch_add(&desc->refs, 1, __ATOMIC_RELAXED);
		if (vd_thread_send_msg(desc->thread, remove_event_msg, desc) != 0) {
			__atomic_fetch_sub(&desc->refs, 1, __ATOMIC_RELAXED);
			VD_ERRLOG("bdev %s: cannot send REMOVE to thread %s\n", bi->name,
				  vd_thread_get_name(desc->thread));
		}
	}
	return TAILQ_EMPTY(&bi->descs);
}

void
vd_bdev_unregister(struct vd_bdev *bdev, vd_bdev_unregister_cb cb, void *cb_arg)
{
	struct bdev_internal *bi = bdev->internal;
	struct vd_thread *thread = vd_get_thread();
	bool idle;

	if (thread == NULL) {
		thread = vd_thread_get_app_thread();
	}
	pthread_mutex_lock(&g_bdev_mutex);
	if (bi == NULL || bi->state != BDEV_STATE_READY) {
		pthread_mutex_unlock(&g_bdev_mutex);
		unregister_fail(cb, cb_arg, bi == NULL ? -ENODEV : -EBUSY);
		return;
	}
	TAILQ_REMOVE(&g_bdevs, bi, link);
	pthread_mutex_lock(&bi->mutex);
	__atomic_store_n(&bi->state, BDEV_STATE_REMOVING, __ATOMIC_RELAXED);
	bi->unregister_cb = cb;
	bi->unregister_arg = cb_arg;
	bi->unregister_thread = thread;
	idle = notify_descs_locked(bi);
	pthread_mutex_unlock(&bi->mutex);
	pthread_mutex_unlock(&g_bdev_mutex);
	VD_INFOLOG(bdev, "unregistering bdev %s\n", bi->name);
	if (idle) {
		bdev_destruct_start(bi);
	}
}

static void
bdev_unregister_finish(struct bdev_internal *bi, int rc)
{
	vd_bdev_unregister_cb cb = bi->unregister_cb;
	void *cb_arg = bi->unregister_arg;

	VD_INFOLOG(bdev, "bdev %s destructed (%d)\n", bi->name, rc);
	internal_free(bi);
	if (cb != NULL) {
		cb(cb_arg, rc);
	}
}

void
vd_bdev_destruct_done(struct vd_bdev *bdev, int rc)
{
	bdev_unregister_finish(bdev->internal, rc);
}

/* Every channel of the bdev is gone: let the module free its context. */
static void
bdev_io_device_gone(void *io_device)
{
	struct vd_bdev *bdev = io_device;
	struct bdev_internal *bi = bdev->internal;
	int rc;

	/* After destruct() the module may have freed bdev; only bi is used below. */
	rc = bdev->fn_table->destruct(bdev->ctxt);
	if (rc > 0) {
		return;		/* vd_bdev_destruct_done() follows */
	}
	bdev_unregister_finish(bi, rc);
}

static void
bdev_destruct_start(void *arg)
{
	struct bdev_internal *bi = arg;

	vd_io_device_unregister(bi->bdev, bdev_io_device_gone);
}
