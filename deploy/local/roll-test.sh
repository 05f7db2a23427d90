#!/usr/bin/env bash
# A rolling deploy, measured from the clients: a local cluster (cluster.sh: N sample nodes on one redis-server behind
# HAProxy), the load generator's `roll` scenario through HAProxy (raw V2 clients plus unmodified pushex and phoenix
# npm clients, each joined to its own user:ID topic and to room:shared, pushes to both kinds at a steady rate), every
# node rolled once while the pushes flow, then a wait for the rebalancer to even the nodes out, then the report.
#
#   deploy/local/roll-test.sh                        recovery on (the default: history kept, clients recover)
#   ROLL_HISTORY=off deploy/local/roll-test.sh       recovery off, for comparison
#
# Settings (environment):
#   ROLL_CLIENTS       raw V2 clients (1000)           ROLL_NPM_CLIENTS  npm clients, half pushex, half phoenix (40)
#   ROLL_RATE          pushes/s to user topics (200)   ROLL_SHARED_RATE  pushes/s to room:shared (5)
#   ROLL_WARMUP        seconds of pushes before the roll (10)
#   ROLL_REBALANCE     on|off: the rebalancer (on); ROLL_BALANCE_TIMEOUT seconds it gets after the roll (60)
#   ROLL_COOLDOWN      seconds of pushes after that, so the last clients moved are back before the count (10)
#   ROLL_HISTORY       on|off (on)                     ROLL_JSON         the scenario's JSON report (STATE/roll.json)
# and cluster.sh's own (PUSHEX_NODES, ports, PUSHEX_CLUSTER_DIR, ...). Stops everything it started, also on Ctrl-C.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
cluster=$script_dir/cluster.sh
export PUSHEX_CLUSTER_DIR=${PUSHEX_CLUSTER_DIR:-$script_dir/.cluster}
state_dir=$PUSHEX_CLUSTER_DIR
clients=${ROLL_CLIENTS:-1000}
npm_clients=${ROLL_NPM_CLIENTS:-40}
rate=${ROLL_RATE:-200}
shared_rate=${ROLL_SHARED_RATE:-5}
warmup=${ROLL_WARMUP:-10}
history=${ROLL_HISTORY:-on}
rebalance=${ROLL_REBALANCE:-on}
balance_timeout=${ROLL_BALANCE_TIMEOUT:-60}
cooldown=${ROLL_COOLDOWN:-10}
json=${ROLL_JSON:-$state_dir/roll.json}
lb_port=${PUSHEX_LB_PORT:-4000}

log() { printf 'roll-test.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

mkdir -p "$state_dir"
[[ $history == on || $history == off ]] || die "ROLL_HISTORY must be on or off"
[[ $rebalance == on || $rebalance == off ]] || die "ROLL_REBALANCE must be on or off"

# The nodes' settings for this run (cluster.sh passes PushEx__* through to every node, and keeps them for the roll).
[[ $history == off ]] && export PushEx__History__Enabled=false
if [[ $rebalance == on ]]; then
    # Compare every 2 s, shed at most 50 sockets a second per node: a 1 000-socket imbalance is gone in ~10-20 s.
    export PushEx__Rebalance__Enabled=true PushEx__Rebalance__Interval=00:00:02 PushEx__Rebalance__MaxClosesPerSecond=50
fi

# The load generator, built once (Release) into the state folder; the npm clients need tests/js's packages.
loadtest_dir=$state_dir/loadtest
if [[ ! -f $loadtest_dir/PushEx.LoadTest.dll ]]; then
    log "building the load generator into $loadtest_dir"
    dotnet build -c Release -nologo -v q -p:UseSharedCompilation=false -nodeReuse:false \
        "$repo_root/samples/PushEx.LoadTest/PushEx.LoadTest.csproj" -o "$loadtest_dir" >"$state_dir/loadtest-build.log" 2>&1 ||
        die "building the load generator failed; see $state_dir/loadtest-build.log"
fi
if ((npm_clients > 0)) && [[ ! -d $repo_root/tests/js/node_modules ]]; then
    (cd "$repo_root/tests/js" && npm ci --no-audit --no-fund >/dev/null)
fi

generator_pid=
cleanup() {
    if [[ -n $generator_pid ]] && kill -0 "$generator_pid" 2>/dev/null; then
        kill -TERM "$generator_pid" 2>/dev/null || true
        wait "$generator_pid" 2>/dev/null || true
    fi
    "$cluster" down || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$cluster" up

stop_file=$state_dir/roll.stop
generator_log=$state_dir/roll-generator.log
rm -f "$stop_file" "$json"
log "starting $clients clients + $npm_clients npm clients (history $history, rebalancer $rebalance)"
dotnet "$loadtest_dir/PushEx.LoadTest.dll" roll --url "http://127.0.0.1:$lb_port" --clients "$clients" --rate "$rate" \
    --shared-rate "$shared_rate" --npm-clients "$npm_clients" --npm-dir "$repo_root/tests/js" \
    --haproxy-socket "$state_dir/haproxy.sock" --stop-file "$stop_file" --json "$json" >"$generator_log" 2>&1 &
generator_pid=$!

# Pushing begins once every client has joined.
for ((waited = 0; ; waited++)); do
    grep -q 'pushing until stopped' "$generator_log" 2>/dev/null && break
    kill -0 "$generator_pid" 2>/dev/null || die "the load generator ended early; see $generator_log"
    ((waited < 240)) || die "the clients did not join within 120 s; see $generator_log"
    sleep 0.5
done
log "clients joined; $warmup s of pushes before the roll"
sleep "$warmup"

roll_started=$(date +%s.%N)
"$cluster" roll
roll_ended=$(date +%s.%N)
log "roll took $(awk -v a="$roll_started" -v b="$roll_ended" 'BEGIN { printf "%.1f", b - a }') s"

# Each node's open sessions from HAProxy's runtime API (frontend-side sockets and pushes in flight alike; pushes are
# short, so this is the sockets).
node_sessions() {
    "$cluster" haproxy "show stat" | awk -F, '$1 == "pushex_nodes" && $2 != "BACKEND" && $2 != "FRONTEND" { printf "%s=%s ", $2, $5 }'
}
# True when every node holds within 15 % of the average.
balanced() {
    awk -v line="$1" 'BEGIN {
        n = split(line, pairs, " "); total = 0
        for (i = 1; i <= n; i++) { split(pairs[i], kv, "="); count[i] = kv[2]; total += kv[2] }
        average = total / n
        for (i = 1; i <= n; i++) if (count[i] < average * 0.85 || count[i] > average * 1.15) exit 1
        exit 0 }'
}

sessions_at_roll_end=$(node_sessions)
log "sessions per node as the roll ended: $sessions_at_roll_end"
balance_seconds=
if [[ $rebalance == on ]]; then
    for ((second = 0; second <= balance_timeout; second++)); do
        sessions=$(node_sessions)
        if balanced "$sessions"; then
            balance_seconds=$second
            break
        fi
        sleep 1
    done
fi
sessions_after=$(node_sessions)
log "sessions per node after rebalancing: $sessions_after"
if [[ -n $balance_seconds ]]; then
    log "every node within 15 % of the average $balance_seconds s after the roll ended"
elif [[ $rebalance == on ]]; then
    log "nodes NOT within 15 % of the average $balance_timeout s after the roll"
fi

log "$cooldown s more of pushes"
sleep "$cooldown"
touch "$stop_file"
wait "$generator_pid" || die "the load generator failed; see $generator_log"
generator_pid=
cat "$generator_log"
balanced_after=n/a
[[ -n $balance_seconds ]] && balanced_after="$balance_seconds s"
printf '\nroll-test: history %s, rebalancer %s, roll %.1f s, sessions per node as it ended: %s, within 15 %% of the average after: %s (%s)\n' \
    "$history" "$rebalance" "$(awk -v a="$roll_started" -v b="$roll_ended" 'BEGIN { print b - a }')" "$sessions_at_roll_end" \
    "$balanced_after" "$sessions_after"
log "report: $json"
