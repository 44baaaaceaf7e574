#!/usr/bin/env bash
# Fetches QEMU from Debian's bookworm-backports with apt-get download (never installed: the
# system's QEMU stays as it is) and unpacks it under DIR (default build/guest/qemu-bpo).  For
# the tests that need a newer QEMU than Debian 12's 7.2 (vhost-user-scsi-pci reconnect needs
# 8.2).  A private apt configuration under DIR is used: the system's sources and package lists
# are not touched.  Cached: a second run does nothing.
#
# Prints three lines: the qemu-system-x86_64 binary, its firmware/data directory (for -L) and
# its module directory (for QEMU_MODULE_DIR).  Exit status non-zero, with the reason on stderr,
# when backports cannot be reached or the binary does not run here.
set -euo pipefail
DIR=${1:-$(cd "$(dirname "$0")/../.." && pwd)/build/guest/qemu-bpo}
ROOT=$DIR/root
BIN=$ROOT/usr/bin/qemu-system-x86_64
MODDIR=$ROOT/usr/lib/x86_64-linux-gnu/qemu
DATADIR=$ROOT/usr/share/qemu

report() { printf '%s\n%s\n%s\n' "$BIN" "$DATADIR" "$MODDIR"; }

if [ -x "$BIN" ] && [ -f "$DIR/OK" ]; then
	report
	exit 0
fi
mkdir -p "$DIR/lists/partial" "$DIR/archives/partial"
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] ||
	{ echo "fetch-qemu-backport: only for Debian 12 (bookworm), this is ${VERSION_CODENAME:-?}" >&2; exit 1; }
echo "deb http://deb.debian.org/debian bookworm-backports main" >"$DIR/sources.list"
APT=(-o "Dir::Etc::SourceList=$DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$DIR/lists" -o "Dir::Cache::Archives=$DIR/archives"
	-o APT::Sandbox::User=root)
apt-get "${APT[@]}" update -qq >/dev/null 2>"$DIR/apt.err" ||
	{ echo "fetch-qemu-backport: apt-get update of bookworm-backports failed: $(tail -1 "$DIR/apt.err")" >&2; exit 1; }
ver=$(apt-cache "${APT[@]}" madison qemu-system-x86 | awk '/bookworm-backports/ {print $3; exit}')
[ -n "$ver" ] || { echo "fetch-qemu-backport: no qemu-system-x86 in bookworm-backports" >&2; exit 1; }
cd "$DIR"
rm -f ./*.deb
apt-get "${APT[@]}" download -q "qemu-system-x86=$ver" "qemu-system-common=$ver" \
	"qemu-system-data=$ver" >/dev/null 2>"$DIR/apt.err" ||
	{ echo "fetch-qemu-backport: download of qemu $ver failed: $(tail -1 "$DIR/apt.err")" >&2; exit 1; }
rm -rf "$ROOT"
for f in ./*.deb; do
	dpkg-deb -x "$f" "$ROOT"
done
QEMU_MODULE_DIR=$MODDIR "$BIN" -L "$DATADIR" --version >/dev/null 2>"$DIR/run.err" ||
	{ echo "fetch-qemu-backport: qemu $ver does not run here: $(tail -1 "$DIR/run.err")" >&2; exit 1; }
touch "$DIR/OK"
report
