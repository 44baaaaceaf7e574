/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */

/*
 * vhostd: main(), command-line options, the embedded default configuration, and the explicit
 * tables of RPC methods and subsystems.  Everything else lives in lib/.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhostd/event.h"
#include "vhostd/log.h"
#include "vhostd/rpc.h"
#include "vhostd/util.h"
#include "vhostd/vhost.h"
#include "vhostd/vhost_blk.h"
#include "vhostd.h"

/*
 * Applied when no -c file is given (`make run`): a 1 GiB malloc bdev exported as the vhost-blk
 * controller "vhost.0"; vhostd_started() prints the QEMU command line that attaches a guest.
 */
#define DEFAULT_CTRLR		"vhost.0"
#define DEFAULT_NUM_QUEUES	2
static const char g_default_config[] =
	"{ \"subsystems\": [\n"
	"  { \"subsystem\": \"bdev\", \"config\": [\n"
	"    { \"method\": \"bdev_malloc_create\",\n"
	"      \"params\": { \"name\": \"Malloc0\", \"num_blocks\": 2097152, \"block_size\": 512 } }\n"
	"  ] },\n"
	"  { \"subsystem\": \"vhost_blk\", \"config\": [\n"
	"    { \"method\": \"vhost_create_blk_controller\",\n"
	"      \"params\": { \"ctrlr\": \"" DEFAULT_CTRLR "\", \"dev_name\": \"Malloc0\" } }\n"
	"  ] }\n"
	"] }";

static char g_vhost_sock_dir[PATH_MAX];

static void
usage(const char *prog, FILE *out)
{
	fprintf(out,
		"Usage: %s [options]\n"
		"  -m, --cpumask MASK        reactor cores, hex (0x3) or list ([0,2-3]); default 0x1\n"
		"  -s, --mem-size MB         memory to reserve at start (default: on demand)\n"
		"  -r, --rpc-socket PATH     JSON-RPC socket (default %s)\n"
		"  -S, --vhost-sock-dir DIR  directory of vhost-user sockets (default: current dir)\n"
		"  -c, --config FILE         JSON configuration applied at start (SPDK format)\n"
		"      --no-huge             use anonymous shared memory instead of hugepages\n"
		"  -L, --logflag COMPONENT   enable a component's info/debug log (repeatable; 'all')\n"
		"      --log-level LEVEL     print level: error, warning, notice (default), info, debug\n"
		"  -V, --version             print the version\n"
		"  -h, --help                this text\n",
		prog, VD_DEFAULT_RPC_ADDR);
}

enum {
	OPT_NO_HUGE = 256,
	OPT_LOG_LEVEL,
};

static const struct option g_long_opts[] = {
	{ "cpumask", required_argument, NULL, 'm' },
	{ "mem-size", required_argument, NULL, 's' },
	{ "rpc-socket", required_argument, NULL, 'r' },
	{ "vhost-sock-dir", required_argument, NULL, 'S' },
	{ "config", required_argument, NULL, 'c' },
	{ "no-huge", no_argument, NULL, OPT_NO_HUGE },
	{ "logflag", required_argument, NULL, 'L' },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
set_sock_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vhostd: vhost socket directory '%s' is not a directory\n", dir);
		return -ENOTDIR;
	}
	if (realpath(dir, g_vhost_sock_dir) == NULL) {
		fprintf(stderr, "vhostd: cannot resolve '%s': %s\n", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

/* \return 0 to run, 1 to exit successfully now, negative on a usage error. */
static int
parse_args(int argc, char **argv, struct vd_app_opts *opts)
{
	struct vd_cpuset mask;
	uint64_t mb;
	int ch;

	while ((ch = getopt_long(argc, argv, "m:s:r:S:c:L:Vh", g_long_opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (vd_cpuset_parse(&mask, optarg) != 0 || vd_cpuset_count(&mask) == 0) {
				fprintf(stderr, "vhostd: invalid CPU mask '%s'\n", optarg);
				return -EINVAL;
			}
			opts->reactor_mask = optarg;
			break;
		case 's':
			if (vd_strtou64(optarg, &mb) != 0 || mb == 0 || mb > UINT32_MAX) {
				fprintf(stderr, "vhostd: invalid memory size '%s' (MB)\n", optarg);
				return -EINVAL;
			}
			opts->mem_size_mb = (uint32_t)mb;
			break;
		case 'r':
			if (strlen(optarg) >= 108) {
				fprintf(stderr, "vhostd: RPC socket path too long (max 107)\n");
				return -ENAMETOOLONG;
			}
			opts->rpc_addr = optarg;
			break;
		case 'S':
			if (set_sock_dir(optarg) != 0) {
				return -EINVAL;
			}
			break;
		case 'c':
			opts->json_config_file = optarg;
			break;
		case OPT_NO_HUGE:
			opts->no_huge = true;
			break;
		case 'L':
			vd_log_set_flag(optarg, true, true);
			break;
		case OPT_LOG_LEVEL:
			if (vd_log_level_parse(optarg) == VD_LOG_DISABLED) {
				fprintf(stderr, "vhostd: invalid log level '%s'\n", optarg);
				return -EINVAL;
			}
			vd_log_set_print_level(vd_log_level_parse(optarg));
			break;
		case 'V':
			printf("%s\n", VHOSTD_VERSION_STRING);
			return 1;
		case 'h':
			usage(argv[0], stdout);
			return 1;
		default:
			usage(argv[0], stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vhostd: unexpected argument '%s'\n", argv[optind]);
		usage(argv[0], stderr);
		return -EINVAL;
	}
	return 0;
}

const char *vhostd_get_vhost_sock_dir(void);

const char *
vhostd_get_vhost_sock_dir(void)
{
	return g_vhost_sock_dir;
}

/* The QEMU command line that attaches a guest to the default controller (stdout). */
static void
print_qemu_cmdline(void)
{
	printf("\nvhost-blk controller %s (1 GiB malloc bdev Malloc0) is ready.  Attach a VM with:\n\n"
	       "  qemu-system-x86_64 -machine q35,accel=kvm:tcg,memory-backend=mem -m 1G -smp %d \\\n"
	       "    -object memory-backend-memfd,id=mem,size=1G,share=on \\\n"
	       "    -chardev socket,id=vhost0,path=%s/%s,reconnect=1 \\\n"
	       "    -device vhost-user-blk-pci,chardev=vhost0,num-queues=%d \\\n"
	       "    <your boot options, e.g. -kernel/-initrd/-append or a -drive with an OS>\n\n"
	       "The guest sees /dev/vda (1 GiB).  Ctrl-C stops vhostd.\n\n",
	       DEFAULT_CTRLR, DEFAULT_NUM_QUEUES, g_vhost_sock_dir, DEFAULT_CTRLR,
	       DEFAULT_NUM_QUEUES);
	fflush(stdout);
}

static void
vhostd_started(void *ctx)
{
	const struct vd_app_opts *opts = ctx;

	VD_NOTICELOG("%s running; RPC socket %s, vhost sockets in %s\n", VHOSTD_VERSION_STRING,
		     opts->rpc_addr, g_vhost_sock_dir);
	if (opts->json_config_file == NULL && vd_vhost_blk_exists(DEFAULT_CTRLR)) {
		print_qemu_cmdline();
	}
}

int
main(int argc, char **argv)
{
	struct vd_app_opts opts;
	int rc;

	vd_app_opts_init(&opts);
	opts.name = "vhostd";
	opts.json_config_default = g_default_config;
	if (set_sock_dir(".") != 0) {
		return EXIT_FAILURE;
	}
	rc = parse_args(argc, argv, &opts);
	if (rc != 0) {
		return rc > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}

	if (opts.json_config_file == NULL && opts.no_huge && opts.mem_size_mb == 0) {
		/* The default config's 1 GiB bdev needs more than --no-huge's default 1 GiB pool. */
		opts.mem_size_mb = 2048;
	}
	if (vd_vhost_set_sock_dir(g_vhost_sock_dir) != 0) {
		fprintf(stderr, "vhostd: vhost socket directory path too long\n");
		return EXIT_FAILURE;
	}
	vhostd_modules_register();

	rc = vd_app_start(&opts, vhostd_started, &opts);
	vd_app_fini();
	vd_rpc_unregister_all();
	if (rc != 0) {
		fprintf(stderr, "vhostd: exiting with error: %s\n", strerror(rc < 0 ? -rc : rc));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
