#!/usr/bin/env bash
# Installs the Debian packages vhostd needs to build, run and test (idempotent).
#
#   scripts/pkgdep.sh              install what is missing (root), report what was done
#   scripts/pkgdep.sh --if-needed  quiet when nothing is missing; when something is and we are
#                                  not root, print the command to run and exit 1
#   scripts/pkgdep.sh --check      only report; exit 1 when something is missing
#
# Only missing packages are installed; "apt-get update" runs only when an install is needed
# (first without it, then once more after updating if the install fails).  Fast (one
# dpkg-query call) when everything is present.

set -u

# Build and run.
BUILD_PKGS=(build-essential pkg-config libdpdk-dev libjson-c-dev libaio-dev liburing-dev
	libcunit1-dev libnuma-dev librbd-dev python3)
# Guest and system tests run by `make test`.
TEST_PKGS=(qemu-system-x86 qemu-utils busybox-static cpio sg3-utils fio)

MODE=install
case "${1:-}" in
"") ;;
--if-needed) MODE=if-needed ;;
--check) MODE=check ;;
-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
*) echo "pkgdep.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac

ALL=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")

missing_pkgs() {
	local out name status
	# One dpkg-query call for all packages; unknown ones are reported on stderr only.
	out=$(dpkg-query -W -f='${Package} ${Status}\n' "${ALL[@]}" 2>/dev/null)
	for name in "${ALL[@]}"; do
		status=$(awk -v p="$name" '$1 == p || index($1, p ":") == 1 { $1 = ""; print; exit }' \
			<<<"$out")
		case "$status" in
		*" ok installed") ;;
		*) printf '%s\n' "$name" ;;
		esac
	done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "pkgdep.sh: dpkg-query not found; this script supports Debian/Ubuntu only." >&2
	echo "pkgdep.sh: needed: ${ALL[*]}" >&2
	exit 1
fi

mapfile -t MISSING < <(missing_pkgs)

if [ ${#MISSING[@]} -eq 0 ]; then
	[ "$MODE" = if-needed ] || echo "pkgdep.sh: all ${#ALL[@]} packages are installed"
	exit 0
fi

CMD="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${MISSING[*]}"
if [ "$MODE" = check ] || [ "$(id -u)" -ne 0 ]; then
	echo "pkgdep.sh: missing packages: ${MISSING[*]}" >&2
	if [ "$(id -u)" -ne 0 ]; then
		echo "pkgdep.sh: as root run:  scripts/pkgdep.sh   (or: sudo sh -c '$CMD')" >&2
	fi
	exit 1
fi

echo "pkgdep.sh: installing ${MISSING[*]}"
apt_install() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}
if ! apt_install "${MISSING[@]}"; then
	echo "pkgdep.sh: install failed; running apt-get update and retrying"
	if ! apt-get update; then
		echo "pkgdep.sh: apt-get update failed" >&2
	fi
	if ! apt_install "${MISSING[@]}"; then
		echo "pkgdep.sh: could not install: ${MISSING[*]}" >&2
		exit 1
	fi
fi

mapfile -t STILL < <(missing_pkgs)
if [ ${#STILL[@]} -ne 0 ]; then
	echo "pkgdep.sh: still missing after install: ${STILL[*]}" >&2
	exit 1
fi
echo "pkgdep.sh: done"
