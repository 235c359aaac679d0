#!/bin/sh
# Every header compiles on its own (it includes what it uses), as git's check-headers does.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-cc}
flags="-std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -fsyntax-only"
pc=$(pkg-config --cflags jansson libmicrohttpd sqlite3 libpq libsodium liboath inih)
failed=0
count=0
for h in $(cd "$root" && find src include -name '*.h' | sort); do
    count=$((count + 1))
    # shellcheck disable=SC2086
    if ! echo "#include \"$h\"" | $cc $flags $pc -I"$root/src" -I"$root/include" -I"$root" -x c - ; then
        echo "not self-contained: $h"
        failed=$((failed + 1))
    fi
done
echo "$((count - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
