#!/usr/bin/env bash
# The extra latency of a delivery that crosses the Redis backplane: two PushEx bench nodes on one redis-server, the
# subscribers on node B, publishing to B (same node) and then to A (cross node), three times each, alternating.
#   tests/Baselines/cross-node.sh                          # 1 000 subscribers, 20 pushes/s, 10 s per run
#   SUBSCRIBERS=10 RATE=200 tests/Baselines/cross-node.sh  # few subscribers: the backplane hop alone
# Prints p50/p99/p99.9 of every run; the JSON of each run is left in $OUT (default /tmp/pushex-cross-node).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
subscribers="${SUBSCRIBERS:-1000}"
rate="${RATE:-20}"
out="${OUT:-/tmp/pushex-cross-node}"
mkdir -p "$out"
for project in tests/Baselines/PushEx.BenchServer samples/PushEx.LoadTest; do
  dotnet build -c Release --nologo -v quiet "$root/$project" >/dev/null
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
redis_port="$(free_port)"; a_port="$(free_port)"; b_port="$(free_port)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$out/redis.log" 2>&1 & pids+=($!)
server="$root/tests/Baselines/PushEx.BenchServer/bin/Release/net10.0/PushEx.BenchServer.dll"
for port in "$a_port" "$b_port"; do
  taskset -c 0 dotnet "$server" --urls "http://127.0.0.1:$port" --Redis "127.0.0.1:$redis_port" >"$out/node-$port.log" 2>&1 & pids+=($!)
done
for port in "$a_port" "$b_port"; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/stats" >/dev/null && break; sleep 0.1; done
done

loadtest="$root/samples/PushEx.LoadTest/bin/Release/net10.0/PushEx.LoadTest.dll"
run() {
  taskset -c 1 dotnet "$loadtest" fanout --url "http://127.0.0.1:$b_port" --subscribers "$subscribers" --rate "$rate" \
    --seconds 10 "$@" >/dev/null 2>"$out/last.err"
}
for i in 1 2 3; do
  run --json "$out/same-$i.json"
  run --publish-url "http://127.0.0.1:$a_port" --json "$out/cross-$i.json"
done

for file in "$out"/same-*.json "$out"/cross-*.json; do
  python3 - "$file" <<'PY'
import json, sys
metrics = json.load(open(sys.argv[1]))["metrics"]
print(f'{sys.argv[1].rsplit("/", 1)[1]:14} received {metrics["received"]:>7}  lost {metrics["lost"]}  '
      f'p50 {metrics["latency_p50_ms"]:7.2f} ms  p99 {metrics["latency_p99_ms"]:7.2f} ms  p99.9 {metrics["latency_p999_ms"]:7.2f} ms')
PY
done
