# Helpers for guest test scripts (sourced as /etc/guestlib.sh).
pass() { echo "TEST-RESULT: PASS $*"; }
fail() { echo "TEST-RESULT: FAIL $*"; FAILED=1; }
skip() { echo "TEST-RESULT: SKIP $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# Writes 32+rc to isa-debug-exit (port 0xf4): QEMU exits with (v << 1) | 1, so 65 means rc 0.
debug_exit() {
	[ -e /dev/port ] || return 0
	printf "\\$(printf %03o $((32 + ($1 & 63))))" | dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc 2>/dev/null
}
# Mounts the host's root (-virtfs ...,mount_tag=hostroot,readonly=on) at /host for chroot use.
mount_hostroot() {
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro hostroot /host || return 1
	mount -t devtmpfs devtmpfs /host/dev && mount -t proc proc /host/proc &&
		mount -t sysfs sysfs /host/sys && mount -t tmpfs tmpfs /host/tmp
}
# Mounts a read-write share (-virtfs ...,mount_tag=share) at /share.
mount_share() {
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 share /share
}
