#!/usr/bin/env bash
# Fetches Debian's current amd64 kernel package with apt-get download (never installed) and
# unpacks it under DIR (default build/guest).  Cached: a second run does nothing.
# Prints the kernel version.
set -euo pipefail
DIR=${1:-$(cd "$(dirname "$0")/../.." && pwd)/build/guest}
mkdir -p "$DIR"
cd "$DIR"
if [ -f kernel/KVER ] && [ -f "kernel/boot/vmlinuz-$(cat kernel/KVER)" ]; then
	cat kernel/KVER
	exit 0
fi
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$pkg" ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$pkg" ] || { echo "fetch-kernel: cannot resolve the kernel package" >&2; exit 1; }
kver=${pkg#linux-image-}
ls "${pkg}"_*.deb >/dev/null 2>&1 || apt-get download -q "$pkg" >&2
rm -rf kernel.tmp
dpkg-deb -x "${pkg}"_*.deb kernel.tmp
# The package's postinst would run depmod; busybox's depmod builds modules.dep here.
busybox depmod -b kernel.tmp "$kver"
rm -rf kernel
mv kernel.tmp kernel
ln -sfn "boot/vmlinuz-$kver" kernel/vmlinuz
echo "$kver" > kernel/KVER
echo "$kver"
