#!/usr/bin/env bash
# Starts vhostd in the foreground with the embedded default configuration (used by `make run`).
# Extra arguments are passed to vhostd, e.g. scripts/run.sh -m 0x3 -c my.json
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin/vhostd
SOCK_DIR=${VHOSTD_SOCK_DIR:-/var/tmp}
RPC_SOCK=${VHOSTD_RPC_SOCK:-/var/tmp/vhostd.sock}

if [ ! -x "$BIN" ]; then
	echo "run.sh: $BIN not built; run 'make' first" >&2
	exit 1
fi
args=(-r "$RPC_SOCK" -S "$SOCK_DIR")
free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -lt 512 ]; then
	echo "run.sh: only ${free:-0} free hugepages; running with --no-huge (scripts/setup.sh as root reserves them)"
	args+=(--no-huge)
fi
cat <<MSG
Starting vhostd (Ctrl-C stops it).
  RPC socket:    $RPC_SOCK     e.g.  scripts/rpc.py -s $RPC_SOCK rpc_get_methods
  vhost sockets: $SOCK_DIR
Without -c, vhostd exports a 1 GiB malloc bdev as vhost-blk controller vhost.0 and prints the
QEMU command line that attaches a VM to it once it is running.
MSG
exec "$BIN" "${args[@]}" "$@"
