/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/** \file
 * The application framework: start-up sequence, signals, orderly shutdown.
 *
 * States (g_app.state) and the function performing each transition:
 *   IDLE     --vd_app_start()-->        STARTING  (env, threads, reactors, app thread)
 *   STARTING --app_config_done()-->     RUNNING   (RPC listening, subsystems up, config applied,
 *                                                 start_fn called)
 *   STARTING/RUNNING --vd_app_stop()--> STOPPING  (app thread: shutdown cb, RPC closed,
 *                                                 subsystems finished in reverse order, then
 *                                                 reactors stopped; vd_app_start() returns)
 *   STOPPING --vd_app_fini()-->         IDLE
 * Every step after vd_app_start() runs on the app thread, the first thread created, placed on
 * the first core of the mask.  A stop requested during start-up aborts the remaining steps.
 * The signal handler only stores the signal number; a timed poller of the app thread acts on
 * it.  A shutdown that does not finish within shutdown_timeout_ms stops the reactors anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vhostd/env.h"
#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "event_internal.h"

VD_LOG_FLAG_DEFINE(app);

#define APP_SIGNAL_POLL_US		20000
#define APP_DEFAULT_SHUTDOWN_MS		10000
#define APP_MAX_CONFIG_SIZE		(64u * 1024 * 1024)

enum app_state {
	APP_IDLE,
	APP_STARTING,
	APP_RUNNING,
	APP_STOPPING,
};

static struct {
	enum app_state		state;
	struct vd_app_opts	opts;
	vd_app_start_fn		start_fn;
	void			*start_ctx;
	struct vd_thread	*app_thread;
	struct vd_poller	*signal_poller;
	void			(*shutdown_cb)(void *ctx);
	void			*shutdown_ctx;
	struct json_object	*config;
	bool			rpc_listening;
	bool			stopping;	/* atomic */
	int			rc;
} g_app;

static volatile sig_atomic_t g_app_signal;

/* framework_wait_init requests waiting for start-up to finish (app thread only). */
#define APP_MAX_INIT_WAITERS 64
static struct vd_rpc_request *g_init_waiters[APP_MAX_INIT_WAITERS];
static uint32_t g_num_init_waiters;

static void
app_init_waiters_answer(int rc)
{
	uint32_t i;

	for (i = 0; i < g_num_init_waiters; i++) {
		if (rc == 0) {
			vd_rpc_send_bool(g_init_waiters[i], true);
		} else {
			vd_rpc_send_error(g_init_waiters[i], rc, "start-up failed: %s",
					  strerror(rc < 0 ? -rc : rc));
		}
	}
	g_num_init_waiters = 0;
}

void
app_wait_init(struct vd_rpc_request *req)
{
	if (g_app.state == APP_RUNNING) {
		vd_rpc_send_bool(req, true);
	} else if (vd_app_is_stopping()) {
		vd_rpc_send_error(req, -ESHUTDOWN, "vhostd is shutting down");
	} else if (g_num_init_waiters == APP_MAX_INIT_WAITERS) {
		vd_rpc_send_error(req, -EBUSY, "too many framework_wait_init requests waiting");
	} else {
		g_init_waiters[g_num_init_waiters++] = req;
	}
}

void
vd_app_opts_init(struct vd_app_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->name = "vhostd";
	opts->reactor_mask = "0x1";
	opts->rpc_addr = VD_DEFAULT_RPC_ADDR;
	opts->shutdown_timeout_ms = APP_DEFAULT_SHUTDOWN_MS;
}

void
vd_app_set_shutdown_cb(void (*cb)(void *ctx), void *ctx)
{
	g_app.shutdown_cb = cb;
	g_app.shutdown_ctx = ctx;
}

bool
vd_app_is_stopping(void)
{
	return __atomic_load_n(&g_app.stopping, __ATOMIC_ACQUIRE);
}

/* Signals ----------------------------------------------------------------------------------- */

static void
app_signal_handler(int signo)
{
	g_app_signal = signo;
}

static int
app_signal_poll(void *arg)
{
	int signo = g_app_signal;

	if (signo == 0) {
		return VD_POLLER_IDLE;
	}
	g_app_signal = 0;
	if (!vd_app_is_stopping()) {
		VD_NOTICELOG("received %s, shutting down\n", strsignal(signo));
		vd_app_stop(0);
	}
	return VD_POLLER_BUSY;
}

static int
app_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0) {
		return -errno;
	}
	sa.sa_handler = app_signal_handler;
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
		return -errno;
	}
	return 0;
}

static void
app_signals_restore(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

/* Stop -------------------------------------------------------------------------------------- */

static void
app_fini_done(void)
{
	VD_INFOLOG(app, "subsystems finished, stopping reactors\n");
	reactors_stop();
}

static void
app_stop_msg(void *arg)
{
	if (g_app.shutdown_cb != NULL) {
		g_app.shutdown_cb(g_app.shutdown_ctx);
	}
	if (g_app.rpc_listening) {
		vd_rpc_close();
		g_app.rpc_listening = false;
	}
	vd_poller_unregister(&g_app.signal_poller);
	subsystem_fini_all(app_fini_done);
}

void
vd_app_stop(int rc)
{
	uint64_t timeout_ms;

	if (__atomic_exchange_n(&g_app.stopping, true, __ATOMIC_ACQ_REL)) {
		return;
	}
	g_app.rc = rc;
	g_app.state = APP_STOPPING;
	timeout_ms = g_app.opts.shutdown_timeout_ms ? g_app.opts.shutdown_timeout_ms :
		     APP_DEFAULT_SHUTDOWN_MS;
	reactors_set_deadline(vd_get_ticks() + timeout_ms * (vd_get_ticks_hz() / 1000));
	if (g_app.app_thread == NULL ||
	    vd_thread_send_msg(g_app.app_thread, app_stop_msg, NULL) != 0) {
		reactors_stop();
	}
}

/* Start ------------------------------------------------------------------------------------- */

/* Read a whole configuration file (regular file, pipe or FIFO) of at most APP_MAX_CONFIG_SIZE. */
static int
app_read_file(const char *path, char **out, size_t *len)
{
	size_t off = 0, cap = 4096;
	struct stat st;
	char *buf = NULL, *nbuf;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = -errno;
		goto err;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto err;
	}
	for (;;) {
		if (buf == NULL || off + 1 >= cap) {
			cap = buf == NULL ? cap : cap * 2;
			if (cap > APP_MAX_CONFIG_SIZE + 2) {
				rc = -EFBIG;
				goto err;
			}
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				rc = -ENOMEM;
				goto err;
			}
			buf = nbuf;
		}
		n = read(fd, buf + off, cap - off - 1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			rc = -errno;
			goto err;
		}
		if (n == 0) {
			break;
		}
		off += (size_t)n;
	}
	buf[off] = '\0';
	close(fd);
	*out = buf;
	*len = off;
	return 0;

err:
	free(buf);
	if (fd >= 0) {
		close(fd);
	}
	return rc;
}

/* Parse a whole JSON document; anything but whitespace after the value is an error. */
static int
app_parse_json(const char *what, const char *text, size_t len, struct json_object **out)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	tok = json_tokener_new();
	if (tok == NULL) {
		return -ENOMEM;
	}
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		VD_ERRLOG("%s: invalid JSON: %s\n", what,
			  jerr == json_tokener_continue ? "unexpected end of input" :
			  json_tokener_error_desc(jerr));
		json_object_put(obj);
		return -EINVAL;
	}
	for (; end < len; end++) {
		if (strchr(" \t\r\n", text[end]) == NULL) {
			VD_ERRLOG("%s: invalid JSON: trailing data at offset %zu\n", what, end);
			json_object_put(obj);
			return -EINVAL;
		}
	}
	*out = obj;
	return 0;
}

static int
app_load_config(struct json_object **out)
{
	const char *path = g_app.opts.json_config_file;
	size_t len = 0;
	char *text = NULL;
	int rc;

	*out = NULL;
	if (path == NULL) {
		text = (char *)g_app.opts.json_config_default;
		return text ? app_parse_json("default config", text, strlen(text), out) : 0;
	}
	rc = app_read_file(path, &text, &len);
	if (rc != 0) {
		VD_ERRLOG("cannot read config file %s: %s\n", path, strerror(-rc));
		return rc;
	}
	rc = app_parse_json(path, text, len, out);
	free(text);
	return rc;
}

static void
app_start_failed(int rc)
{
	app_init_waiters_answer(rc);
	VD_ERRLOG("start-up failed: %s\n", strerror(-rc));
	vd_app_stop(rc);
}

static void
app_config_done(void *ctx, int rc)
{
	json_object_put(g_app.config);
	g_app.config = NULL;
	if (vd_app_is_stopping()) {
		return;
	}
	if (rc != 0 && !g_app.opts.json_config_ignore_errors) {
		app_start_failed(rc);
		return;
	}
	vd_rpc_set_state(VD_RPC_RUNTIME);
	g_app.state = APP_RUNNING;
	app_init_waiters_answer(0);
	VD_INFOLOG(app, "%s running\n", g_app.opts.name);
	if (g_app.start_fn != NULL) {
		g_app.start_fn(g_app.start_ctx);
	}
}

static void
app_subsystems_done(int rc)
{
	if (vd_app_is_stopping()) {
		return;
	}
	if (rc == 0) {
		rc = app_load_config(&g_app.config);
	}
	if (rc != 0) {
		app_start_failed(rc);
		return;
	}
	if (g_app.config == NULL) {
		app_config_done(NULL, 0);
		return;
	}
	rc = vd_rpc_apply_config(g_app.config, g_app.opts.json_config_ignore_errors,
				 app_config_done, NULL);
	if (rc != 0) {
		json_object_put(g_app.config);
		g_app.config = NULL;
		app_start_failed(rc);
	}
}

static void
app_start_msg(void *arg)
{
	int rc;

	g_app.signal_poller = vd_poller_register(app_signal_poll, NULL, APP_SIGNAL_POLL_US,
						 "app_signal");
	if (g_app.signal_poller == NULL) {
		app_start_failed(-ENOMEM);
		return;
	}
	if (g_app.opts.rpc_addr != NULL) {
		rc = vd_rpc_listen(g_app.opts.rpc_addr);
		if (rc != 0) {
			/* lib/rpc logged why (e.g. another live vhostd owns the socket). */
			vd_app_stop(rc);
			return;
		}
		g_app.rpc_listening = true;
	}
	vd_rpc_set_state(VD_RPC_STARTUP);
	rc = subsystem_sort();
	if (rc != 0) {
		app_start_failed(rc);
		return;
	}
	subsystem_init_all(app_subsystems_done);
}

static void
app_env_opts(const struct vd_app_opts *opts, const struct vd_cpuset *mask,
	     struct vd_env_opts *env)
{
	uint32_t i;

	vd_env_opts_init(env);
	env->name = opts->name;
	vd_cpuset_copy(&env->cpumask, mask);
	env->mem_size_mb = opts->mem_size_mb;
	env->no_huge = opts->no_huge;
	for (i = 0; i < opts->num_pci && i < VD_ENV_MAX_PCI; i++) {
		env->pci_allowed[i] = opts->pci_allowed[i];
	}
	env->num_pci = i;
}

static int
app_create_app_thread(const struct vd_cpuset *mask)
{
	struct vd_cpuset first;

	vd_cpuset_zero(&first);
	vd_cpuset_set_cpu(&first, (uint32_t)vd_cpuset_next(mask, -1), true);
	g_app.app_thread = vd_thread_create("app_thread", &first);
	if (g_app.app_thread == NULL) {
		return -ENOMEM;
	}
	return vd_thread_send_msg(g_app.app_thread, app_start_msg, NULL);
}

static int
app_validate(const struct vd_app_opts *opts, struct vd_cpuset *mask)
{
	if (g_app.state != APP_IDLE) {
		VD_ERRLOG("application already started\n");
		return -EALREADY;
	}
	if (opts == NULL || opts->reactor_mask == NULL) {
		VD_ERRLOG("no reactor mask given\n");
		return -EINVAL;
	}
	if (vd_cpuset_parse(mask, opts->reactor_mask) != 0 || vd_cpuset_count(mask) == 0) {
		VD_ERRLOG("invalid reactor mask '%s': use a hex mask (0x3) or a list ([0,2-3])\n",
			  opts->reactor_mask);
		return -EINVAL;
	}
	if (opts->num_pci > VD_ENV_MAX_PCI) {
		VD_ERRLOG("too many PCI devices (%u, at most %d)\n", opts->num_pci, VD_ENV_MAX_PCI);
		return -EINVAL;
	}
	return 0;
}

int
vd_app_start(const struct vd_app_opts *opts, vd_app_start_fn start_fn, void *ctx)
{
	struct vd_env_opts env;
	struct vd_cpuset mask;
	int rc;

	vd_log_flag_register(&VD_LOG_FLAG(app));
	rc = app_validate(opts, &mask);
	if (rc != 0) {
		return rc;
	}
	g_app.opts = *opts;
	g_app.start_fn = start_fn;
	g_app.start_ctx = ctx;
	g_app.rc = 0;
	__atomic_store_n(&g_app.stopping, false, __ATOMIC_RELEASE);
	g_app.state = APP_STARTING;

	app_env_opts(opts, &mask, &env);
	rc = vd_env_init(&env);
	if (rc != 0) {
		goto err_state;
	}
	rc = vd_thread_lib_init(reactors_schedule_thread, 0);
	if (rc != 0) {
		goto err_env;
	}
	rc = reactors_init(&mask);
	if (rc != 0) {
		goto err_thread_lib;
	}
	rc = app_signals_install();
	if (rc != 0) {
		VD_ERRLOG("cannot install signal handlers: %s\n", strerror(-rc));
		goto err_reactors;
	}
	rc = app_create_app_thread(&mask);
	if (rc != 0) {
		VD_ERRLOG("cannot create the app thread: %s\n", strerror(-rc));
		goto err_signals;
	}
	rc = reactors_start();
	return rc != 0 ? rc : g_app.rc;

err_signals:
	app_signals_restore();
err_reactors:
	reactors_fini();
	g_app.app_thread = NULL;
err_thread_lib:
	vd_thread_lib_fini();
err_env:
	vd_env_fini();
err_state:
	g_app.state = APP_IDLE;
	return rc;
}

void
vd_app_fini(void)
{
	if (g_app.state == APP_IDLE) {
		return;
	}
	reactors_fini();
	g_app.app_thread = NULL;
	g_app.signal_poller = NULL;
	vd_thread_lib_fini();
	vd_env_fini();
	app_signals_restore();
	subsystem_reset();
	json_object_put(g_app.config);
	g_app.config = NULL;
	g_app.state = APP_IDLE;
}
