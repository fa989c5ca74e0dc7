#!/usr/bin/env bash
# Runs every Cordon test on a fresh machine: installs Azurite from the committed lock file and
# Debian's Chromium where missing, builds the solution, runs the xunit suite, and prints "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/azurite ]; then
  npm ci --no-audit --no-fund --loglevel=error || echo "warning: npm ci failed; the Azurite tests will fail naming it" >&2
fi

# Browser tests drive Debian's Chromium through Playwright, which must never download its own browser.
if ! command -v chromium >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  { $sudo apt-get update && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; } ||
    echo "warning: could not install chromium; the browser tests will fail naming it" >&2
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

log=$(mktemp)
set +e
dotnet test Workflows.sln --nologo -v quiet --logger "console;verbosity=normal" 2>&1 | grep -v "warning NU1603" | tee "$log"
status=${PIPESTATUS[0]}
set -e

# The run summary of each test assembly: "Passed: N" / "Failed: N" on their own lines.
passed=$( (grep -E '^ +Passed: +[0-9]+$' "$log" || true) | awk '{s+=$2} END {print s+0}')
failed=$( (grep -E '^ +Failed: +[0-9]+$' "$log" || true) | awk '{s+=$2} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the build or the test host failed before any test could report
fi
# The failing tests again, with their messages, right above the summary (CI keeps only the tail of the log).
if [ "$failed" -ne 0 ]; then
  echo "--- failed tests ---"
  awk '/^ +Failed [A-Za-z]/ {on=1} /^ +(Passed|Skipped) [A-Za-z]/ {on=0} on' "$log" | head -n 200
  echo "--- end of failed tests ---"
fi
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
