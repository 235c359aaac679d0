#!/bin/sh
# The portal's browser tests: installs Debian's Chromium (scripts/deps.sh browser) and
# playwright-core (npm ci, from package-lock.json) when missing, then runs them with node's
# test runner against the lockboxd named by $LOCKBOXD. Screenshots go to $LB_ARTIFACTS.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
"$dir/../../scripts/deps.sh" browser
for tool in node npm; do
    command -v "$tool" >/dev/null || { echo "browser tests: $tool is missing" >&2; exit 1; }
done
[ -d "$dir/node_modules/playwright-core" ] || (cd "$dir" && npm ci --no-audit --no-fund --silent)
cd "$dir"
exec node --test --test-concurrency=1 portal.test.mjs decide.test.mjs
