#!/usr/bin/env bash
# Reports C files whose formatting differs from .clang-format (informational: exit 1 if any).
# Usage: scripts/check_format.sh [files...]   (default: every tracked .c/.h)
set -u
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format not installed (apt-get install clang-format)"; exit 0; }
files=("$@")
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(git ls-files '*.c' '*.h')
bad=0
for f in "${files[@]}"; do
	if ! clang-format --style=file "$f" | cmp -s - "$f"; then
		echo "format: $f"
		bad=1
	fi
done
exit $bad
