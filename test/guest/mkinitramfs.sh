#!/usr/bin/env bash
# Builds the base guest initramfs: static busybox, our /init, and the kernel modules the tests
# need with their dependencies in load order.
# Usage: mkinitramfs.sh GUEST_DIR [module ...]   (writes GUEST_DIR/base.cpio.gz)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$1; shift
MODS=("$@")
[ ${#MODS[@]} -gt 0 ] || MODS=(virtio_pci virtio_blk virtio_scsi sd_mod sg 9pnet_virtio 9p nvme)
kver=$(cat "$DIR/kernel/KVER")
mdir=$DIR/kernel/lib/modules/$kver
out=$DIR/base.cpio.gz
stage=$(mktemp -d "$DIR/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

declare -A deps pathof done_
while IFS= read -r line; do
	p=${line%%:*}
	deps[$p]=${line#*:}
	n=${p##*/}; n=${n%.ko}; n=${n//-/_}
	pathof[$n]=$p
done < "$mdir/modules.dep"
order=()
add_mod() {
	local p=$1 d
	[ -n "${done_[$p]:-}" ] && return
	done_[$p]=1
	for d in ${deps[$p]}; do add_mod "$d"; done
	order+=("$p")
}
for m in "${MODS[@]}"; do
	k=${m//-/_}
	if [ -n "${pathof[$k]:-}" ]; then
		add_mod "${pathof[$k]}"
	elif ! grep -qE "/(${m}|${k})\.ko$" "$mdir/modules.builtin"; then
		echo "mkinitramfs: module $m not found" >&2
		exit 1
	fi
done

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,mnt,host,share,etc}
cp "$(command -v busybox)" "$stage/bin/busybox"
for applet in $("$stage/bin/busybox" --list-full); do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
: > "$stage/etc/modules.load"
for p in "${order[@]}"; do
	mkdir -p "$stage/lib/modules/$kver/$(dirname "$p")"
	cp "$mdir/$p" "$stage/lib/modules/$kver/$p"
	echo "/lib/modules/$kver/$p" >> "$stage/etc/modules.load"
done
install -m 0755 "$HERE/init" "$stage/init"
install -m 0644 "$HERE/guestlib.sh" "$stage/etc/guestlib.sh"
(cd "$stage" && find . -print0 | busybox cpio -o -H newc -0 -R 0:0 2>/dev/null) | gzip -6 > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
