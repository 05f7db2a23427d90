#!/usr/bin/env bash
# A local PushEx cluster: N sample nodes (samples/PushEx.Sample) on one redis-server, behind HAProxy running the
# shipped deploy/haproxy/haproxy.cfg (only its nodes block replaced).
#
#   deploy/local/cluster.sh up       start redis, the nodes and HAProxy; wait until every node is ready and UP
#   deploy/local/cluster.sh roll     restart each node in turn: SIGTERM, drain, start again, wait until ready and UP
#   deploy/local/cluster.sh status   each process's pid, each node's readiness and HAProxy's view (exit 1 unless healthy)
#   deploy/local/cluster.sh down     stop everything `up` and `roll` started, by pid; safe to run twice
#   deploy/local/cluster.sh haproxy "show stat"   one command to HAProxy's runtime API (no socat needed)
#
# Settings (environment, read by `up`; `roll`, `status` and `down` use the values `up` recorded in cluster.env):
#   PUSHEX_NODES         number of nodes (3)
#   PUSHEX_BASE_PORT     node K listens on http://127.0.0.1:BASE+K (4100, so 4101..4103)
#   PUSHEX_LB_PORT       HAProxy listens on http://127.0.0.1:LB_PORT (4000)
#   PUSHEX_REDIS_PORT    redis-server port (6390)
#   PUSHEX_CLUSTER_DIR   state folder (deploy/local/.cluster, gitignored)
#   PUSHEX_SAMPLE_DLL    a prebuilt PushEx.Sample.dll; unset: `up` publishes the sample (Release) into STATE/sample
#   PUSHEX_READY_TIMEOUT seconds a node (or HAProxy's view of it) gets to become ready (60)
#   PUSHEX_STOP_TIMEOUT  seconds a node gets to drain and exit after SIGTERM before SIGKILL (45; the drain takes up
#                        to 3 x PushEx:ShutdownTimeout, and the host gives up after its own 30 s)
# Node settings pass through as environment variables (PushEx__History__Enabled=false, ...). Unless set, the nodes get
#   PushEx__Redis=127.0.0.1:REDIS_PORT
#   PushEx__DisconnectSocketsOnShutdown=true      a roll moves the sockets (close 1012, clients reconnect via HAProxy)
#   PushEx__ShutdownDisconnectWindow=00:00:02     short, so a local roll takes seconds (docs/deployment.md)
#   ASPNETCORE_ENVIRONMENT=Production, and single-line console logs with timestamps
#
# State folder layout (deploy/local/roll-test.sh and other scripts may read it):
#   cluster.env                  the settings `up` used (bash; sourced by the other commands)
#   redis.pid    redis.log
#   nodeK.pid    nodeK.log       K = 1..N; a log is appended to on every start (a roll), with a header line
#   haproxy.pid  haproxy.log  haproxy.cfg  haproxy.sock (the runtime API: `show stat`)
#   sample/  build.log           the published sample, when PUSHEX_SAMPLE_DLL is unset
# `down` removes the pid files, cluster.env and haproxy.sock, and keeps the logs, haproxy.cfg and sample/.
# A pid file holds one pid. Before signalling a pid the script checks /proc/PID/cmdline still names what it started
# (the sample dll and its port, haproxy and this config, redis-server and its port), so a recycled pid is never killed.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
state_dir=${PUSHEX_CLUSTER_DIR:-$script_dir/.cluster}

log() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- time --------------------------------------------------------------------------------------------------------

# Milliseconds since the epoch, from bash itself (EPOCHREALTIME's separator follows the locale).
now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }
# "1.234 s" for a duration in milliseconds.
seconds() { printf '%d.%03d s' $(($1 / 1000)) $(($1 % 1000)); }

# --- settings ----------------------------------------------------------------------------------------------------

load_settings_from_environment() {
    nodes=${PUSHEX_NODES:-3}
    base_port=${PUSHEX_BASE_PORT:-4100}
    lb_port=${PUSHEX_LB_PORT:-4000}
    redis_port=${PUSHEX_REDIS_PORT:-6390}
    sample_dll=${PUSHEX_SAMPLE_DLL:-}
    ready_timeout=${PUSHEX_READY_TIMEOUT:-60}
    stop_timeout=${PUSHEX_STOP_TIMEOUT:-45}
    local name
    for name in nodes base_port lb_port redis_port ready_timeout stop_timeout; do
        [[ ${!name} =~ ^[0-9]+$ ]] || die "$name must be a number, got '${!name}'"
    done
    ((nodes >= 1)) || die "PUSHEX_NODES must be at least 1"
}

# What `up` used, so `roll` restarts nodes exactly as they were started and `down` stops exactly what runs.
# The node environment is recorded too: a roll must not silently drop a PushEx__ setting given to `up`.
save_settings() {
    {
        local name
        for name in nodes base_port lb_port redis_port sample_dll content_root ready_timeout stop_timeout; do
            printf '%s=%q\n' "$name" "${!name}"
        done
        while IFS= read -r name; do
            printf 'export %s=%q\n' "$name" "${!name}"
        done < <(compgen -e | grep -E '^(PushEx__|ASPNETCORE_|DOTNET_|Logging__)' || true)
    } >"$state_dir/cluster.env"
}

load_saved_settings() {
    [[ -f $state_dir/cluster.env ]] || return 1
    # shellcheck source=/dev/null
    source "$state_dir/cluster.env"
}

node_port() { echo $((base_port + $1)); }

# --- processes ---------------------------------------------------------------------------------------------------

# A pid is alive when /proc has it and it is not a zombie (an exited child this shell has not reaped yet).
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# What /proc/PID/cmdline of each of our processes contains (redis-server retitles itself "redis-server 127.0.0.1:PORT").
signature() {
    case $1 in
        redis) echo "redis-server 127.0.0.1:$redis_port" ;;
        haproxy) echo "-f $state_dir/haproxy.cfg" ;;
        node*) echo "$sample_dll --urls http://127.0.0.1:$(node_port "${1#node}")" ;;
    esac
}

# The live pid recorded for NAME (redis, haproxy, nodeK) when it is still what we started; nothing otherwise.
owned_pid() {
    local name=$1 file=$state_dir/$1.pid pid
    [[ -f $file ]] || return 0
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    alive "$pid" || return 0
    if [[ $(cmdline "$pid") != *"$(signature "$name")"* ]]; then
        log "$name.pid names pid $pid, which now runs something else ($(cmdline "$pid")); leaving it alone"
        return 0
    fi
    echo "$pid"
}

# Starts a command in its own session (Ctrl-C in the terminal does not reach it; setsid execs in place, so $! is
# the program's own pid), stdin from /dev/null and output appended to LOG, and records its pid in NAME.pid.
start_process() {
    local name=$1 log_file=$2
    shift 2
    printf '\n--- cluster.sh: %s starting at %s: %s\n' "$name" "$(date '+%F %T')" "$*" >>"$log_file"
    setsid "$@" </dev/null >>"$log_file" 2>&1 &
    echo $! >"$state_dir/$name.pid"
    started+=("$name")
}

# SIGTERM to each NAME we own, wait up to TIMEOUT seconds for all to exit, SIGKILL the rest; removes the pid files.
stop_processes() {
    local timeout=$1 name pid
    shift
    local -a pids=() names=()
    for name in "$@"; do
        pid=$(owned_pid "$name")
        if [[ -n $pid ]]; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
            names+=("$name")
        fi
    done
    local deadline=$(($(now_ms) + timeout * 1000)) i
    for i in "${!pids[@]}"; do
        while alive "${pids[i]}" && (($(now_ms) < deadline)); do sleep 0.1; done
        if alive "${pids[i]}"; then
            log "${names[i]} (pid ${pids[i]}) did not exit within $timeout s after SIGTERM; SIGKILL"
            kill -KILL "${pids[i]}" 2>/dev/null || true
        fi
        # Our own child (a failed `up`): reap it so it does not linger as a zombie.
        wait "${pids[i]}" 2>/dev/null || true
    done
    for i in "${!pids[@]}"; do
        deadline=$(($(now_ms) + 5000))
        while alive "${pids[i]}" && (($(now_ms) < deadline)); do sleep 0.1; done
    done
    for name in "$@"; do rm -f "$state_dir/$name.pid"; done
}

# --- probes ------------------------------------------------------------------------------------------------------

# True when something accepts connections on 127.0.0.1:PORT (bash's /dev/tcp; no extra tools).
port_listening() { { (exec 3<>"/dev/tcp/127.0.0.1/$1"); } 2>/dev/null; }

redis_pong() (
    reply=""
    { exec 3<>"/dev/tcp/127.0.0.1/$redis_port"; } 2>/dev/null || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 reply <&3 || true
    [[ $reply == "+PONG"* ]]
)

# The HTTP status of GET /health/ready on node K ("000" when it does not answer).
node_readiness() { curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$(node_port "$1")/health/ready" || true; }

# One command to HAProxy's runtime API over its unix socket. Perl's IO::Socket::UNIX is in perl-base, which every
# Debian system has (socat and python3 may be missing).
haproxy_command() {
    perl -MIO::Socket::UNIX -e '
        my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "cannot connect to $ARGV[0]: $!\n";
        print $s "$ARGV[1]\n";
        print while <$s>;' "$state_dir/haproxy.sock" "$1"
}

# "nodeK STATUS SESSIONS" for each node in the backend, from `show stat` (columns found by name in its header).
haproxy_node_stats() {
    haproxy_command "show stat" 2>/dev/null | awk -F, '
        NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["pxname"] == "pushex_nodes" && $col["svname"] ~ /^node/ {
            print $col["svname"], ($col["status"] == "" ? "?" : $col["status"]), $col["scur"] }' || true
}

haproxy_status_of() { haproxy_node_stats | awk -v n="$1" '$1 == n { s = $2 } END { print (s == "" ? "?" : s) }'; }

# During a roll: the time HAProxy was first seen to take node K out (its status DOWN), for the timings.
roll_node="" roll_down_ms=""
note_haproxy_down() {
    if [[ -n $roll_node && -z $roll_down_ms && $(haproxy_status_of "$roll_node") == DOWN* ]]; then roll_down_ms=$(now_ms); fi
}

# Waits until node K answers ready; fails early when its process exits.
wait_node_ready() {
    local k=$1 pid=$2 deadline=$(($(now_ms) + ready_timeout * 1000))
    until [[ $(node_readiness "$k") == 200 ]]; do
        note_haproxy_down
        if ! alive "$pid"; then
            die "node$k (pid $pid) exited while starting; the end of $state_dir/node$k.log:
$(tail -n 20 "$state_dir/node$k.log")"
        fi
        (($(now_ms) < deadline)) || die "node$k (pid $pid) was not ready within $ready_timeout s; see $state_dir/node$k.log"
        sleep 0.2
    done
}

wait_haproxy_up() {
    local name=$1 deadline=$(($(now_ms) + ready_timeout * 1000))
    until [[ $(haproxy_status_of "$name") == UP ]]; do
        (($(now_ms) < deadline)) || die "HAProxy did not mark $name UP within $ready_timeout s (it says: $(haproxy_status_of "$name"))"
        sleep 0.2
    done
}

# --- starting ----------------------------------------------------------------------------------------------------

start_node() {
    local k=$1 port
    port=$(node_port "$k")
    # The nodes inherit this environment (PushEx__ settings pass through); these are defaults only.
    PushEx__Redis=${PushEx__Redis:-127.0.0.1:$redis_port} \
        PushEx__DisconnectSocketsOnShutdown=${PushEx__DisconnectSocketsOnShutdown:-true} \
        PushEx__ShutdownDisconnectWindow=${PushEx__ShutdownDisconnectWindow:-00:00:02} \
        ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Production} \
        Logging__Console__FormatterName=${Logging__Console__FormatterName:-simple} \
        Logging__Console__FormatterOptions__SingleLine=${Logging__Console__FormatterOptions__SingleLine:-true} \
        Logging__Console__FormatterOptions__TimestampFormat=${Logging__Console__FormatterOptions__TimestampFormat:-"HH:mm:ss.fff "} \
        start_process "node$k" "$state_dir/node$k.log" \
        dotnet "$sample_dll" --urls "http://127.0.0.1:$port" --contentRoot "$content_root"
}

find_haproxy() {
    command -v haproxy || { [[ -x /usr/sbin/haproxy ]] && echo /usr/sbin/haproxy; } ||
        die "haproxy is not installed (Debian: apt-get install haproxy)"
}

# The shipped template with the lines between "# BEGIN nodes" and "# END nodes" replaced by our nodes, same indent.
render_haproxy_config() {
    local template=$repo_root/deploy/haproxy/haproxy.cfg
    awk -v nodes="$nodes" -v base_port="$base_port" '
        /^[ \t]*# BEGIN nodes/ {
            print; indent = $0; sub(/#.*/, "", indent)
            for (k = 1; k <= nodes; k++) print indent "server node" k " 127.0.0.1:" (base_port + k)
            skipping = 1; found = 1; next }
        /^[ \t]*# END nodes/ { skipping = 0 }
        !skipping { print }
        END { if (!found || skipping) exit 1 }' "$template" >"$state_dir/haproxy.cfg" ||
        die "$template has no '# BEGIN nodes' ... '# END nodes' block"
}

# Publishes the sample once into the state folder (a later `up` reuses it; delete STATE/sample to rebuild). No build
# server or MSBuild node is left running: `down` could not stop them, and they are not ours to stop by name.
ensure_sample() {
    if [[ -n $sample_dll ]]; then
        [[ -f $sample_dll ]] || die "PUSHEX_SAMPLE_DLL=$sample_dll does not exist"
        sample_dll=$(cd "$(dirname "$sample_dll")" && pwd)/$(basename "$sample_dll")
    else
        sample_dll=$state_dir/sample/PushEx.Sample.dll
        if [[ ! -f $sample_dll ]]; then
            log "publishing samples/PushEx.Sample (Release) into $state_dir/sample"
            DOTNET_CLI_USE_MSBUILD_SERVER=0 dotnet publish "$repo_root/samples/PushEx.Sample/PushEx.Sample.csproj" \
                -c Release -o "$state_dir/sample" --nologo -v quiet -nodeReuse:false -p:UseSharedCompilation=false \
                >"$state_dir/build.log" 2>&1 ||
                die "dotnet publish failed; see $state_dir/build.log"
        else
            log "using the sample published earlier in $state_dir/sample (delete it to rebuild)"
        fi
    fi
    # appsettings.json (and wwwroot, when published) sit next to the dll.
    content_root=$(dirname "$sample_dll")
}

all_names() {
    local k
    echo redis haproxy
    for ((k = 1; k <= nodes; k++)); do echo "node$k"; done
}

# --- commands ----------------------------------------------------------------------------------------------------

cmd_up() {
    mkdir -p "$state_dir"
    state_dir=$(cd "$state_dir" && pwd)
    # A previous cluster's settings are read in a subshell: its recorded environment must not leak into this one.
    local running
    running=$(
        load_saved_settings || exit 0
        for name in $(all_names); do
            if [[ -n $(owned_pid "$name") ]]; then echo "$name"; fi
        done
    )
    [[ -z $running ]] || die "the cluster in $state_dir is already up ($(echo $running)); run '$0 down' first"
    # Whatever is left is stale: processes that are gone (a crash, a reboot).
    rm -f "$state_dir"/*.pid "$state_dir/haproxy.sock" "$state_dir/cluster.env"
    load_settings_from_environment

    local haproxy k port
    haproxy=$(find_haproxy)
    command -v redis-server >/dev/null || die "redis-server is not installed (Debian: apt-get install redis-server)"
    command -v dotnet >/dev/null || die "dotnet is not on PATH"
    command -v curl >/dev/null || die "curl is not installed"
    if port_listening "$redis_port"; then die "port $redis_port (redis) is taken; set PUSHEX_REDIS_PORT"; fi
    if port_listening "$lb_port"; then die "port $lb_port (HAProxy) is taken; set PUSHEX_LB_PORT"; fi
    for ((k = 1; k <= nodes; k++)); do
        port=$(node_port "$k")
        if port_listening "$port"; then die "port $port (node$k) is taken; set PUSHEX_BASE_PORT"; fi
    done
    ensure_sample
    save_settings

    # From here on a failure stops whatever this run started.
    trap 'log "up failed; stopping what it started"; stop_processes 10 "${started[@]}"
          rm -f "$state_dir/haproxy.sock" "$state_dir/cluster.env"' EXIT
    trap 'exit 130' INT TERM
    local t0 t1
    t0=$(now_ms)
    start_process redis "$state_dir/redis.log" \
        redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --protected-mode no --dir "$state_dir"
    local deadline=$(($(now_ms) + 20000))
    until redis_pong; do
        alive "$(<"$state_dir/redis.pid")" || die "redis-server exited; see $state_dir/redis.log"
        (($(now_ms) < deadline)) || die "redis-server did not answer PING within 20 s; see $state_dir/redis.log"
        sleep 0.1
    done

    for ((k = 1; k <= nodes; k++)); do start_node "$k"; done

    render_haproxy_config
    PUSHEX_HAPROXY_BIND=127.0.0.1:$lb_port PUSHEX_HAPROXY_SOCKET=$state_dir/haproxy.sock \
        start_process haproxy "$state_dir/haproxy.log" "$haproxy" -db -f "$state_dir/haproxy.cfg"

    for ((k = 1; k <= nodes; k++)); do wait_node_ready "$k" "$(<"$state_dir/node$k.pid")"; done
    t1=$(now_ms)
    deadline=$((t1 + 20000))
    until [[ -S $state_dir/haproxy.sock ]] && port_listening "$lb_port"; do
        alive "$(<"$state_dir/haproxy.pid")" || die "haproxy exited; the end of $state_dir/haproxy.log:
$(tail -n 20 "$state_dir/haproxy.log")"
        (($(now_ms) < deadline)) || die "haproxy did not listen on $lb_port within 20 s; see $state_dir/haproxy.log"
        sleep 0.1
    done
    for ((k = 1; k <= nodes; k++)); do wait_haproxy_up "node$k"; done
    trap - EXIT

    log "up in $(seconds $(($(now_ms) - t0))) (nodes ready after $(seconds $((t1 - t0))))"
    echo "HAProxy:  http://127.0.0.1:$lb_port  (sockets: ws://127.0.0.1:$lb_port/push_socket/websocket, pushes: POST /api/push)"
    for ((k = 1; k <= nodes; k++)); do
        echo "node$k:    http://127.0.0.1:$(node_port "$k")  pid $(<"$state_dir/node$k.pid")"
    done
    echo "redis:    127.0.0.1:$redis_port  pid $(<"$state_dir/redis.pid")"
    echo "state:    $state_dir"
}

require_up() {
    load_saved_settings || die "no cluster in $state_dir (run '$0 up')"
    local name
    for name in $(all_names); do
        [[ -n $(owned_pid "$name") ]] || die "$name is not running; run '$0 down' and '$0 up'"
    done
}

cmd_roll() {
    require_up
    local k old new t0 t_exit t_ready t_up status total0
    total0=$(now_ms)
    for ((k = 1; k <= nodes; k++)); do
        old=$(owned_pid "node$k")
        t0=$(now_ms)
        roll_node=node$k roll_down_ms=""
        kill -TERM "$old"
        # The drain turns its readiness 503 at once; HAProxy takes it out at its next check (every second), or
        # when the port is closed if the node exits sooner.
        while alive "$old"; do
            note_haproxy_down
            if (($(now_ms) - t0 > stop_timeout * 1000)); then
                log "node$k (pid $old) did not exit within $stop_timeout s after SIGTERM; SIGKILL"
                kill -KILL "$old" 2>/dev/null || true
                break
            fi
            sleep 0.1
        done
        while alive "$old"; do sleep 0.1; done
        t_exit=$(now_ms)

        started=()
        start_node "$k"
        new=$(<"$state_dir/node$k.pid")
        wait_node_ready "$k" "$new"
        t_ready=$(now_ms)
        wait_haproxy_up "node$k"
        t_up=$(now_ms)
        status="exited after $(seconds $((t_exit - t0)))"
        if [[ -n $roll_down_ms ]]; then status+=", HAProxy DOWN after $(seconds $((roll_down_ms - t0)))"; fi
        echo "node$k: pid $old -> $new; SIGTERM, $status; ready $(seconds $((t_ready - t_exit))) after the restart, UP in HAProxy $(seconds $((t_up - t_ready))) later; $(seconds $((t_up - t0))) in all"
    done
    log "rolled $nodes nodes in $(seconds $(($(now_ms) - total0)))"
}

cmd_status() {
    load_saved_settings || { echo "not up (no cluster in $state_dir)"; return 1; }
    local healthy=0 pid name k readiness stats haproxy_view
    for name in redis haproxy; do
        pid=$(owned_pid "$name")
        if [[ -z $pid ]]; then
            printf '%-8s not running\n' "$name"
            healthy=1
        elif [[ $name == redis ]]; then
            printf '%-8s pid %-7s 127.0.0.1:%s  %s\n' redis "$pid" "$redis_port" "$(redis_pong && echo PONG || echo 'no answer')"
        else
            printf '%-8s pid %-7s http://127.0.0.1:%s  socket %s\n' haproxy "$pid" "$lb_port" "$state_dir/haproxy.sock"
        fi
    done
    stats=$(haproxy_node_stats)
    for ((k = 1; k <= nodes; k++)); do
        pid=$(owned_pid "node$k")
        readiness=$(node_readiness "$k")
        case $readiness in 200) readiness=ready ;; 503) readiness="not ready (503)" ;; *) readiness="no answer" ;; esac
        haproxy_view=$(awk -v n="node$k" '$1 == n { print "HAProxy: " $2 " " $3 " sessions"; f = 1 } END { if (!f) print "HAProxy: ?" }' <<<"$stats")
        printf '%-8s pid %-7s http://127.0.0.1:%s  %-16s %s\n' "node$k" "${pid:-none}" "$(node_port "$k")" "$readiness" "$haproxy_view"
        [[ -n $pid && $readiness == ready && $haproxy_view == "HAProxy: UP "* ]] || healthy=1
    done
    return $healthy
}

cmd_down() {
    if ! load_saved_settings; then
        echo "not up (no cluster in $state_dir)"
        return 0
    fi
    local t0 k node_names=()
    t0=$(now_ms)
    for ((k = 1; k <= nodes; k++)); do node_names+=("node$k"); done
    # HAProxy first (no new traffic), then the nodes (they drain in parallel), Redis last (a draining node still
    # publishes to it).
    stop_processes 10 haproxy
    stop_processes "$stop_timeout" "${node_names[@]}"
    stop_processes 10 redis
    rm -f "$state_dir/haproxy.sock" "$state_dir/cluster.env"
    log "down in $(seconds $(($(now_ms) - t0))); logs kept in $state_dir"
}

started=()
case ${1:-} in
    up) cmd_up ;;
    roll) cmd_roll ;;
    status) cmd_status ;;
    down) cmd_down ;;
    haproxy)
        [[ $# -eq 2 ]] || die "usage: $0 haproxy 'COMMAND' (e.g. 'show stat')"
        require_up
        haproxy_command "$2"
        ;;
    *)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
