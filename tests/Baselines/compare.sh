#!/usr/bin/env bash
# The PushEx-vs-SignalR comparison in one command. Builds the two bench servers and the load generator in Release,
# then runs `PushEx.LoadTest compare` pinned to core 1; it starts each server in turn pinned to core 0.
#   tests/Baselines/compare.sh                       # defaults: 20 000 clients on 2 nodes, fan-outs, 3 runs, medians
#   tests/Baselines/compare.sh --repeat 1 --json /tmp/compare.json
#   tests/Baselines/compare.sh cluster --nodes 6 --clients 100000   # any other LoadTest command, same pinning
# Options are those of `dotnet samples/PushEx.LoadTest/bin/Release/net10.0/PushEx.LoadTest.dll help`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for project in tests/Baselines/PushEx.BenchServer tests/Baselines/SignalR.BenchServer samples/PushEx.LoadTest; do
  dotnet build -c Release --nologo -v quiet "$root/$project" >/dev/null
done

command="compare"
if [[ $# -gt 0 && "$1" != --* ]]; then
  command="$1"
  shift
fi

loadtest="$root/samples/PushEx.LoadTest/bin/Release/net10.0/PushEx.LoadTest.dll"
if command -v taskset >/dev/null && [[ "$(nproc)" -ge 2 ]]; then
  exec taskset -c 1 dotnet "$loadtest" "$command" "$@"
fi
echo "taskset or a second core is missing: running unpinned (pass --server-core none)" >&2
exec dotnet "$loadtest" "$command" "$@"
