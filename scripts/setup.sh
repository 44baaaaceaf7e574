#!/usr/bin/env bash
# Reserves 2 MiB hugepages for vhostd and mounts hugetlbfs (root only).
#
#   scripts/setup.sh [--quiet] [NR_2M_PAGES]   reserve at least NR pages (default 1024) and
#                                              mount hugetlbfs at /dev/hugepages if needed
#   scripts/setup.sh [--quiet] reset           release the reservation (pages in use stay)
#   scripts/setup.sh status                    print the current state
#
# Never lowers a reservation that is already larger than asked (it may be someone else's).
# When it cannot reserve (not root, kernel refuses) it says that vhostd will run with
# --no-huge and exits 1; `make run/test` ignore that status.  Ends with a one-line summary.

set -u

SYSFS=/sys/kernel/mm/hugepages/hugepages-2048kB
MNT=/dev/hugepages
QUIET=0
ACTION=reserve
NR=1024

while [ $# -gt 0 ]; do
	case "$1" in
	--quiet|-q) QUIET=1 ;;
	reset|status) ACTION=$1 ;;
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
	*)
		if [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -le 1048576 ]; then
			NR=$1
		else
			echo "setup.sh: bad argument '$1' (see --help)" >&2
			exit 2
		fi
		;;
	esac
	shift
done

say() { [ $QUIET -eq 1 ] || echo "setup.sh: $*"; }

nr_file() {
	if [ -w "$SYSFS/nr_hugepages" ] || [ -r "$SYSFS/nr_hugepages" ]; then
		echo "$SYSFS/nr_hugepages"
	else
		echo /proc/sys/vm/nr_hugepages
	fi
}

get_nr() { cat "$(nr_file)" 2>/dev/null || echo 0; }

get_free() {
	if [ -r "$SYSFS/free_hugepages" ]; then
		cat "$SYSFS/free_hugepages"
	else
		awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo
	fi
}

is_mounted() { awk -v m="$MNT" '$2 == m && $3 == "hugetlbfs" { f = 1 } END { exit !f }' /proc/mounts; }

summary() {
	local free total mnt
	free=$(get_free)
	total=$(get_nr)
	mnt=no
	is_mounted && mnt=yes
	# The summary line is printed even with --quiet.
	echo "hugepages (2 MiB): ${free:-0} free of ${total:-0} reserved; hugetlbfs at $MNT mounted: $mnt"
}

no_huge() {
	echo "setup.sh: $*; vhostd will run with --no-huge" >&2
	summary
	exit 1
}

reserve() {
	local cur now
	cur=$(get_nr)
	if [ "${cur:-0}" -lt "$NR" ]; then
		[ "$(id -u)" -eq 0 ] || no_huge "need root to reserve $NR hugepages (have ${cur:-0})"
		if ! echo "$NR" >"$(nr_file)" 2>/dev/null; then
			no_huge "cannot write $(nr_file)"
		fi
		now=$(get_nr)
		say "reserved ${now:-0} hugepages (asked $NR, had ${cur:-0})"
		if [ "${now:-0}" -lt "$NR" ]; then
			echo "setup.sh: kernel gave only ${now:-0} of $NR hugepages (memory fragmented?)" >&2
		fi
		[ "${now:-0}" -gt 0 ] || no_huge "no hugepages could be reserved"
	else
		say "$cur hugepages already reserved (>= $NR); left unchanged"
	fi
	if ! is_mounted; then
		[ "$(id -u)" -eq 0 ] || no_huge "need root to mount hugetlbfs at $MNT"
		mkdir -p "$MNT" && mount -t hugetlbfs -o pagesize=2M nodev "$MNT" 2>/dev/null ||
			no_huge "cannot mount hugetlbfs at $MNT"
		say "mounted hugetlbfs at $MNT"
	fi
	summary
}

reset() {
	local left
	[ "$(id -u)" -eq 0 ] || { echo "setup.sh: need root to reset" >&2; summary; exit 1; }
	if ! echo 0 >"$(nr_file)" 2>/dev/null; then
		echo "setup.sh: cannot write $(nr_file)" >&2
		summary
		exit 1
	fi
	left=$(get_nr)
	if [ "${left:-0}" -gt 0 ]; then
		say "$left hugepages remain reserved (in use; files in $MNT?)"
	else
		say "hugepages released"
	fi
	summary
}

case $ACTION in
reserve) reserve ;;
reset) reset ;;
status) summary ;;
esac
