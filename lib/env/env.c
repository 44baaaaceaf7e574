/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * EAL start-up and cores.
 *
 * vd_env_init() builds the EAL argument vector from vd_env_opts: a core mask, a unique
 * --file-prefix, --no-pci unless devices are listed (then -a BDF each), --no-telemetry,
 * --single-file-segments (few fds to share over vhost-user) and either --in-memory (hugepages,
 * nothing left in /dev/hugepages) or --no-huge.  When hugepages are asked for but none is free,
 * it falls back to --no-huge with a notice instead of failing.
 *
 * State: g_initialized goes false -> true in vd_env_init() and back in vd_env_fini().
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "vhostd/env.h"
#include "env_internal.h"

VD_LOG_FLAG_DEFINE(env);

#define MAX_ARGS (32 + 2 * VD_ENV_MAX_PCI)

static bool g_initialized;
static bool g_hugepages;

void
vd_env_opts_init(struct vd_env_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->name = "vhostd";
	vd_cpuset_set_cpu(&opts->cpumask, 0, true);
}

bool
vd_env_is_initialized(void)
{
	return g_initialized;
}

bool
vd_env_uses_hugepages(void)
{
	return g_hugepages;
}

/* Free 2 MiB (default size) hugepages, from /proc/meminfo. */
static long
free_hugepages(void)
{
	char line[128];
	long n = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1) {
			break;
		}
	}
	fclose(f);
	return n;
}

struct eal_args {
	char *argv[MAX_ARGS + 1];
	int argc;
};

static int
add_arg(struct eal_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
add_arg(struct eal_args *a, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (a->argc >= MAX_ARGS) {
		return -E2BIG;
	}
	va_start(ap, fmt);
	rc = vasprintf(&a->argv[a->argc], fmt, ap);
	va_end(ap);
	if (rc < 0) {
		return -ENOMEM;
	}
	a->argc++;
	return 0;
}

static void
free_args(struct eal_args *a)
{
	int i;

	for (i = 0; i < a->argc; i++) {
		free(a->argv[i]);
	}
}

static int
build_args(const struct vd_env_opts *opts, bool use_huge, struct eal_args *a)
{
	char mask[VD_CPUSET_SIZE / 4 + 3];
	uint32_t i;
	int rc = 0;

	rc |= add_arg(a, "%s", opts->name ? opts->name : "vhostd");
	rc |= add_arg(a, "-c");
	rc |= add_arg(a, "%s", vd_cpuset_fmt(&opts->cpumask, mask, sizeof(mask)));
	rc |= add_arg(a, "--main-lcore=%d", vd_cpuset_next(&opts->cpumask, -1));
	if (opts->file_prefix != NULL) {
		rc |= add_arg(a, "--file-prefix=%s", opts->file_prefix);
	} else {
		rc |= add_arg(a, "--file-prefix=vhostd_%d", (int)getpid());
	}
	rc |= add_arg(a, "--no-telemetry");
	rc |= add_arg(a, "--single-file-segments");
	rc |= add_arg(a, "--log-level=lib.eal:warning");
	rc |= add_arg(a, "--log-level=pmd.*:warning");
	rc |= add_arg(a, use_huge ? "--in-memory" : "--no-huge");
	if (opts->mem_size_mb != 0 || !use_huge) {
		rc |= add_arg(a, "-m");
		rc |= add_arg(a, "%u", opts->mem_size_mb != 0 ? opts->mem_size_mb : 1024);
	}
	if (opts->num_pci == 0) {
		rc |= add_arg(a, "--no-pci");
	}
	for (i = 0; i < opts->num_pci && i < VD_ENV_MAX_PCI; i++) {
		rc |= add_arg(a, "-a");
		rc |= add_arg(a, "%s", opts->pci_allowed[i]);
	}
	return rc != 0 ? -ENOMEM : 0;
}

int
vd_env_init(const struct vd_env_opts *opts)
{
	struct eal_args a = { .argc = 0 };
	char *eal_argv[MAX_ARGS + 1];
	bool use_huge = !opts->no_huge;
	int rc;

	vd_log_flag_register(&VD_LOG_FLAG(env));
	if (g_initialized) {
		return -EALREADY;
	}
	if (vd_cpuset_count(&opts->cpumask) == 0) {
		VD_ERRLOG("empty CPU mask\n");
		return -EINVAL;
	}
	if (use_huge && free_hugepages() == 0) {
		VD_NOTICELOG("no free hugepages (run scripts/setup.sh as root); using --no-huge\n");
		use_huge = false;
	}
	rc = build_args(opts, use_huge, &a);
	if (rc != 0) {
		free_args(&a);
		return rc;
	}
	/* The EAL rewrites its argv array, so hand it a copy of the pointers. */
	memcpy(eal_argv, a.argv, sizeof(eal_argv));
	rc = rte_eal_init(a.argc, eal_argv);
	free_args(&a);
	if (rc < 0) {
		rc = rte_errno;
		VD_ERRLOG("DPDK EAL initialisation failed: %s\n", rte_strerror(rc));
		return rc == ENOMEM ? -ENOMEM : -ENODEV;
	}
	g_hugepages = use_huge;
	g_initialized = true;
	VD_INFOLOG(env, "EAL up: %u cores, %s memory\n", rte_lcore_count(),
		   use_huge ? "hugepage" : "anonymous");
	return 0;
}

void
vd_env_fini(void)
{
	if (!g_initialized) {
		return;
	}
	rte_eal_cleanup();
	g_initialized = false;
}

uint32_t
vd_env_get_core_count(void)
{
	return rte_lcore_count();
}

uint32_t
vd_env_get_first_core(void)
{
	return rte_get_main_lcore();
}

uint32_t
vd_env_get_next_core(uint32_t prev)
{
	unsigned int next;

	if (prev == UINT32_MAX) {
		return rte_get_main_lcore();
	}
	next = rte_get_next_lcore(prev, 0, 0);
	return next >= RTE_MAX_LCORE ? UINT32_MAX : next;
}

uint32_t
vd_env_get_current_core(void)
{
	unsigned int id = rte_lcore_id();

	return id == LCORE_ID_ANY ? UINT32_MAX : id;
}

int
vd_env_core_launch(uint32_t core, vd_env_core_fn fn, void *arg)
{
	int rc;

	if (core >= RTE_MAX_LCORE || !rte_lcore_is_enabled(core) ||
	    core == rte_get_main_lcore()) {
		return -EINVAL;
	}
	rc = rte_eal_remote_launch(fn, arg, core);
	return rc == 0 ? 0 : -EBUSY;
}

void
vd_env_core_wait_all(void)
{
	rte_eal_mp_wait_lcore();
}
