#!/bin/sh
# The C sources follow .clang-format (the CI runs what `make format` would change as a failure).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v clang-format >/dev/null || { echo "clang-format missing"; exit 1; }
files=$(find src tests fuzz -name '*.[ch]' | sort)
bad=0
for f in $files; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || { echo "not formatted: $f"; bad=$((bad + 1)); }
done
echo "$(echo "$files" | wc -w | tr -d ' ') checked, $bad not formatted"
[ "$bad" -eq 0 ]
