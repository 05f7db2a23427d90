#!/usr/bin/env bash
# Every test, on a fresh Debian 12 with the .NET 10 SDK and Node 20 (the README's test command; .ci/run runs it as is).
# Installs the Debian packages the tests use, then runs `dotnet test`, and fails when the build fails, when any test
# fails and when any test was skipped. Arguments go to `dotnet test`, e.g. one project:
#   ./test.sh --project tests/PushEx.Core.Tests/PushEx.Core.Tests.csproj
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
export DEBIAN_FRONTEND=noninteractive
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

# Debian packages the tests use: redis-server for the Redis backplane tests, chromium for the browser tests, haproxy for
# the deployment tests (deploy/haproxy/haproxy.cfg in front of a cluster), curl for deploy/local/cluster.sh's readiness
# checks. haproxy installs to /usr/sbin, which is not on a normal user's PATH; the tests look there too.
installed() { command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" ]]; }
missing=()
for package in redis-server chromium haproxy curl; do
  installed "$package" || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  if ((EUID == 0)); then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "test: ${missing[*]} missing, and installing needs root: run as root, install sudo, or run" >&2
    echo "test:   apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "test: installing ${missing[*]}"
  "${as_root[@]}" apt-get update -q
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "test: redis-server, chromium, haproxy and curl are already installed"
fi

# The JS-client tests run the npm clients with Node 20 (the machine's; Debian 12's own nodejs is older).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "test: node and npm must be on PATH (Node 20); the JS-client tests need them" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if ((node_major < 20)); then
  echo "test: Node $(node --version) found; the JS-client tests need Node 20 or later" >&2
  exit 1
fi
echo "test: node $(node --version), npm $(npm --version), dotnet $(dotnet --version)"
(cd tests/js && npm ci --no-audit --no-fund)

# --fail-skips turns a skipped test into a failed one, so a test that skips for a missing dependency cannot pass; the
# summary check below catches a skip even if a runner ignored that option.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test "$@" --fail-skips on 2>&1 | tee "$log" || status=$?

summary_value() {
  # MTP ends with "Test run summary: ..." followed by "  total: N", "  failed: N", "  succeeded: N", "  skipped: N".
  sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' "$log" |
    sed -n "/^Test run summary:/,\$ s/^[[:space:]]*$1:[[:space:]]*\([0-9][0-9]*\)[[:space:]]*\$/\1/p" | tail -n 1
}
total="$(summary_value total)"
failed="$(summary_value failed)"
passed="$(summary_value succeeded)"
skipped="$(summary_value skipped)"

verdict=0
echo
if [[ -z "$total" ]]; then
  echo "test: no test summary found (did the build fail?)" >&2
  verdict=1
elif ((${failed:-0} > 0 || ${skipped:-0} > 0)); then
  echo "test: ${failed:-0} failed and ${skipped:-0} skipped tests" >&2
  verdict=1
elif ((total == 0)); then
  echo "test: no test ran" >&2
  verdict=1
fi
if ((status != 0)); then
  echo "test: dotnet test exited with $status" >&2
  verdict=$status
fi
if [[ -n "$total" ]]; then
  echo "test: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
fi
exit "$verdict"
