namespace PushEx.LoadTest.Cli;

/// <summary>The help text.</summary>
internal static class Usage
{
    public const string Text = """
        PushEx load generator: PushEx (Phoenix V2/V1 frames) or the SignalR baseline (JSON hub protocol).

        Commands (every option has a default; --url takes a comma-separated list of nodes):
          connect   --url http://127.0.0.1:4000 --protocol v2|v1|signalr --clients 10000 --rate 1500 --topics 100
                    --concurrency 200 --hold 30 [--workers N] [--json file]
                    N clients arrive at R/s (0 = unpaced), each joins one of T topics, heartbeats, holds.
          fanout    --url … --protocol … --subscribers 1000 [--per-user --batch 100] --rate 10 --seconds 10
                    --pad 16 --in-flight 8 [--publish-url http://other-node] [--json file]
                    K subscribers on one topic (or one topic each); POST /api/push at R/s; latency from the data's timestamp.
                    --publish-url posts to another node of the cluster, so every delivery crosses the backplane.
          storm     --url … --protocol … --clients 10000 --topics 100 --hold 5 --storm-concurrency 500 --timeout 60
                    connect all, then reset every connection at once and reconnect all; time until all joined again.
          roll      --url http://127.0.0.1:4000 --clients 1000 --rate 200 --shared-rate 5 [--shared room:shared,…]
                    [--haproxy-socket path] [--npm-clients N [--npm-dir tests/js]] [--first-reconnect 1] [--settle 10]
                    [--pad 16] [--api-key dev-api-key] [--users roll-] [--concurrency 100] [--max-seconds 900]
                    [--seconds N] [--stop-file path] [--json file]
                    a rolling deploy seen from the clients: each joins user:ID and the shared topics through the load
                    balancer and reconnects like pushex.js; pushes go to both kinds (--rate to user topics, --shared-rate
                    to each shared topic) until --seconds pass, the --stop-file appears, or SIGINT/SIGTERM; then a settle,
                    and per run: pushes accepted, delivered, lost, duplicated, time disconnected, per-node sessions.
          compare   [--kinds pushex,signalr] [--clients 20000 --nodes 2] [--fanout 1000:20,10000:1,10000:10]
                    [--fanout-seconds 10] [--per-user 10000:20] [--hold 10] [--repeat 3] [--server-core 0]
                    [--pushex-server dll] [--signalr-server dll] [--json file]
                    starts each bench server in turn pinned to one core and prints both side by side with ratios.
          cluster   [--nodes 6 --clients 100000 --topics 100 --hold 60 --rounds 5 --storm] [--server-core 0]
                    [--redis-server redis-server] [--pushex-server dll] [--json file]
                    PushEx bench nodes joined by a throw-away Redis; idle memory per connection, then pushes to
                    every topic through the first node (each crosses the backplane), then optionally a storm.
          shards    [--shards 1,3] [--subscribers 10000 --batch 50 --rate 200 --seconds 20] [--in-flight 16]
                    [--producer-concurrency 10]
                    [--redis-server redis-server] [--pushex-server dll] [--json file]
                    for each shard count a fresh Redis Cluster (masters only) and two PushEx bench nodes on it; one
                    topic per subscriber on the first node, pushes naming --batch topics each posted to the second;
                    the fan-out figures plus each shard's CPU, the same load for every count.
          soak      [--url http://…] --clients 15000 [--workers N] --duration 60m --interval 1m --warmup 5m --window 10m
                    --churn 0.03 --side-changes 0.05 [--side-topics 5000] --rate 300 --topics 1000 [--pad 64]
                    [--in-flight 16] [--connect-rate 1000] [--api-key KEY] [--tolerance 0.10] [--server-core none]
                    [--pushex-server dll] [--server-pid PID] [--logs dir] [--json file]
                    holds the clients for --duration while pushes flow at --rate to the topics in turn, --churn of the
                    clients per minute are reset and reconnect, --side-changes per minute join or leave a side topic;
                    each --interval: server RSS, managed heap after a full GC, open files, threads, CPU, deliveries and
                    push latency on one line; at the end, per series, first window (after the warm-up) against the
                    last, and whether it is flat. Without --url it starts the PushEx bench server itself.

        Clients live in worker processes of this program (at most 15 000 sockets each), bound to 127.0.0.10 and up.
        Memory and CPU figures need the bench servers (tests/Baselines), which expose GET /gc and GET /stats.
        """;
}
