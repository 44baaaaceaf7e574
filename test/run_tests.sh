#!/usr/bin/env bash
# Runs vhostd's tests and prints a closing "N passed, N failed, N skipped" line.
#
#   test/run_tests.sh [--build DIR] [--only unit,protocol,functional,guest] [--sanitize]
#
# Unit tests: every *_ut binary under DIR/test/unit (CUnit; each CUnit test counts once).
# Functional tests: every executable test/functional/<area>/test_* script; the area's
# CATEGORY file says protocol, functional or guest.  Scripts print
# "TEST-RESULT: PASS|FAIL|SKIP <name>[: reason]"; each line counts once.
# Logs go to DIR/test-logs/.  Exit status is non-zero when anything failed.

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
ONLY=unit,protocol,functional,guest
SANITIZE=0

while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	--sanitize) SANITIZE=1; shift ;;
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
	*) echo "run_tests.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
BUILD=$(cd "$BUILD" && pwd) || { echo "run_tests.sh: no build dir" >&2; exit 2; }
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"
export VHOSTD_ROOT=$ROOT VHOSTD_BUILD=$BUILD PYTHONDONTWRITEBYTECODE=1
if [ $SANITIZE -eq 1 ]; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:suppressions=$ROOT/test/asan.supp}
	export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/test/lsan.supp:print_suppressions=0}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	export VHOSTD_SANITIZE=1
fi

PASS=0
FAIL=0
SKIP=0
FAILED_NAMES=()

want() { case ",$ONLY," in *",$1,"*) return 0 ;; esac; return 1; }

note_fail() { FAIL=$((FAIL + 1)); FAILED_NAMES+=("$1"); }

run_unit() {
	local bin=$1 name log rc row total ran passed failed
	name=${bin#"$BUILD"/test/unit/}
	log=$LOGDIR/unit_$(echo "$name" | tr '/' '_').log
	timeout -k 5 300 "$bin" >"$log" 2>&1
	rc=$?
	row=$(grep -E '^[[:space:]]+tests[[:space:]]' "$log" | tail -n 1)
	if [ -n "$row" ]; then
		read -r _ total ran passed failed _ <<<"$row"
	else
		ran=0 passed=0 failed=0
	fi
	PASS=$((PASS + passed))
	if [ "$failed" -gt 0 ]; then
		FAIL=$((FAIL + failed))
		FAILED_NAMES+=("unit:$name")
	elif [ $rc -ne 0 ]; then
		note_fail "unit:$name (exit $rc, see $log)"
	fi
	printf '%-6s %-44s %s passed, %s failed%s\n' unit "$name" "$passed" "$failed" \
		"$([ $rc -ne 0 ] && echo " (exit $rc)")"
	if [ $rc -ne 0 ]; then
		grep -E 'FAILED|ERROR: AddressSanitizer|runtime error|Assertion' "$log" | head -n 20 | sed 's/^/    /'
	fi
}

run_script() {
	local script=$1 name log rc p f s
	name=${script#"$ROOT"/test/functional/}
	log=$LOGDIR/func_$(echo "$name" | tr '/' '_').log
	echo "== $name"
	timeout -k 10 "${VHOSTD_TEST_TIMEOUT:-900}" "$script" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^TEST-RESULT: PASS' "$log")
	f=$(grep -c '^TEST-RESULT: FAIL' "$log")
	s=$(grep -c '^TEST-RESULT: SKIP' "$log")
	grep -E '^TEST-RESULT: (FAIL|SKIP)' "$log" | sed 's/^/    /'
	PASS=$((PASS + p))
	SKIP=$((SKIP + s))
	if [ "$f" -gt 0 ]; then
		FAIL=$((FAIL + f))
		FAILED_NAMES+=("$name")
	fi
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		note_fail "$name (exit $rc without a FAIL line, see $log)"
		tail -n 15 "$log" | sed 's/^/    /'
	fi
	printf '%-6s %-44s %s passed, %s failed, %s skipped\n' func "$name" "$p" "$f" "$s"
}

start=$(date +%s)
if want unit; then
	while IFS= read -r bin; do
		run_unit "$bin"
	done < <(find "$BUILD/test/unit" -type f -name '*_ut' -perm -u+x 2>/dev/null | sort)
fi
for dir in "$ROOT"/test/functional/*/; do
	[ -f "$dir/CATEGORY" ] || continue
	cat=$(tr -d '[:space:]' <"$dir/CATEGORY")
	want "$cat" || continue
	while IFS= read -r script; do
		run_script "$script"
	done < <(find "$dir" -maxdepth 1 -type f -name 'test_*' -perm -u+x | sort)
done

echo
echo "elapsed $(( $(date +%s) - start )) s; logs in $LOGDIR"
if [ ${#FAILED_NAMES[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${FAILED_NAMES[@]}"
fi
echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" -eq 0 ]
