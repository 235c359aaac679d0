#!/bin/sh
# Installs the Debian packages Lockbox builds, runs and tests with; does nothing when all are
# present. Needs root (or sudo) only when something is missing.
set -eu

BUILD="build-essential cmake pkg-config libmicrohttpd-dev libgnutls28-dev libjansson-dev
libsqlite3-dev libsodium-dev liboath-dev libinih-dev libcurl4-openssl-dev libpam0g-dev libpq-dev
libseccomp-dev"
TEST="libcmocka-dev python3 sqlite3 curl clang-format oathtool openssl pamtester openssh-server
openssh-client nginx-light postgresql rsyslog rsyslog-gnutls systemd"
BENCH="wrk clang libclang-rt-14-dev"
BROWSER="chromium"

case "${1:-build}" in
build) want="$BUILD" ;;
test) want="$BUILD $TEST" ;;
bench) want="$BUILD $TEST $BENCH" ;;
browser)
    # The image's Node.js (with its npm) is used when there is one; else Debian's.
    want="$BROWSER"
    command -v node >/dev/null || want="$want nodejs"
    command -v npm >/dev/null || want="$want npm"
    ;;
*) echo "usage: $0 [build|test|bench|browser]" >&2; exit 2 ;;
esac

missing=""
for pkg in $want; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
