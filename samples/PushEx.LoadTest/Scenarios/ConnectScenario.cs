using PushEx.LoadTest.Metrics;
using PushEx.LoadTest.Workers;

namespace PushEx.LoadTest.Scenarios;

/// <summary>
/// <c>connect</c>: N clients arrive at R per second, each joins one of T topics, keep-alives flow while they are held,
/// then (for <c>storm</c>) every connection is reset at the same instant and all reconnect at once. Against the bench
/// servers it also measures server memory per idle connection (resident growth after a forced full GC) and server
/// CPU while idle and during the storm.
/// </summary>
internal static class ConnectScenario
{
    public static async Task<ScenarioResult> RunAsync(BenchTarget target, ConnectSettings settings, bool storm, TextWriter log)
    {
        var result = new ScenarioResult(storm ? "storm" : "connect", $"{target.Protocol} {string.Join(",", target.Nodes)}");
        var before = await target.CollectAsync().ConfigureAwait(false);
        var cpuBefore = await target.CpuMillisecondsAsync().ConfigureAwait(false);

        await using var fleet = WorkerFleet.Start(settings.Clients, settings.Workers);
        var template = new WorkerCommand
        {
            Command = "connect",
            Protocol = target.Protocol,
            Nodes = target.Endpoints,
            TopicPrefix = "room:",
            Topics = settings.Topics,
            Rate = settings.Rate,
            Concurrency = settings.Concurrency,
            TimeoutSeconds = (int)settings.Timeout.TotalSeconds,
        };
        log.WriteLine($"connect: {settings.Clients} clients over {fleet.Count} worker(s) to {target.Nodes.Count} node(s), rate {(settings.Rate > 0 ? settings.Rate : "unpaced")}");
        var open = await fleet.ConnectAsync(template, settings.Clients, settings.Timeout * 10).ConfigureAwait(false);
        var cpuConnected = await target.CpuMillisecondsAsync().ConfigureAwait(false);

        result.Add("clients", "clients", settings.Clients);
        result.Add("joined", "connected and joined", open.Joined);
        result.Add("failed", "failed", open.Failed);
        result.Add("connect_join_per_s", "connect+join per second", open.JoinsPerSecond, "/s", 0);
        result.Add("connect_seconds", "first attempt to last join", open.Seconds, "s", 2);
        result.AddLatency("connect", "connect (TCP+upgrade)", open.ConnectLatency, withTail: false);
        result.AddLatency("join", "join reply", open.JoinLatency, withTail: false);
        if (open.FirstError is { } error)
        {
            result.Note($"first error: {error}");
        }

        // Let the servers finish what the last joins started before the memory is read.
        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        var after = await target.CollectAsync().ConfigureAwait(false);
        if (before is not null && after is not null && open.Joined > 0)
        {
            result.Add("server_connections", "server-side open connections", after.Connections);
            result.Add("server_rss_per_connection_bytes", "server RSS per connection", (after.ResidentBytes - before.ResidentBytes) / (double)open.Joined, "B", 0);
            result.Add("server_managed_per_connection_bytes", "server managed heap per connection", (after.ManagedBytes - before.ManagedBytes) / (double)open.Joined, "B", 0);
            result.Add("server_rss_mb", "server RSS (all nodes)", after.ResidentBytes / 1048576.0, "MiB", 1);
        }

        if (cpuBefore is { } c0 && cpuConnected is { } c1 && open.Joined > 0)
        {
            result.Add("server_cpu_us_per_connect", "server CPU per connect+join", (c1 - c0) * 1000 / open.Joined, "µs", 0);
        }

        result.Add("client_memory_per_connection_bytes", "load generator memory per client", open.WorkerWorkingSetBytes / (double)Math.Max(1, open.Joined), "B", 0);

        if (settings.Hold > TimeSpan.Zero)
        {
            log.WriteLine($"connect: holding {open.Joined} idle connections for {settings.Hold.TotalSeconds:N0} s");
            var idleStart = await target.CpuMillisecondsAsync().ConfigureAwait(false);
            await Task.Delay(settings.Hold).ConfigureAwait(false);
            var idleEnd = await target.CpuMillisecondsAsync().ConfigureAwait(false);
            var held = await fleet.StatsAsync().ConfigureAwait(false);
            result.Add("held_joined", "still joined after the hold", held.Sum(report => report.Joined));
            result.Add("held_disconnects", "dropped by the server during the hold", held.Sum(report => report.Disconnects));
            if (idleStart is { } i0 && idleEnd is { } i1)
            {
                result.Add("server_idle_cpu_percent", "server CPU while idle", (i1 - i0) / settings.Hold.TotalMilliseconds * 100, "%", 2);
            }
        }

        if (settings.PublishRounds > 0 && settings.Topics > 0)
        {
            await PublishRoundsAsync(target, settings, fleet, result, log).ConfigureAwait(false);
        }

        if (storm)
        {
            log.WriteLine($"storm: dropping and reconnecting {open.Joined} clients");
            var stormCpuStart = await target.CpuMillisecondsAsync().ConfigureAwait(false);
            var again = await fleet.StormAsync(template with { Concurrency = settings.StormConcurrency, TimeoutSeconds = (int)settings.Timeout.TotalSeconds }, settings.Timeout * 2).ConfigureAwait(false);
            var stormCpuEnd = await target.CpuMillisecondsAsync().ConfigureAwait(false);
            result.Add("storm_rejoined", "storm: joined again", again.Joined);
            result.Add("storm_failed", "storm: not joined before the timeout", again.Failed);
            result.Add("storm_retries", "storm: attempts retried", again.Retries);
            result.Add("storm_seconds", "storm: drop to last rejoin", again.Seconds, "s", 2);
            result.Add("storm_join_per_s", "storm: connect+join per second", again.JoinsPerSecond, "/s", 0);
            result.AddLatency("storm_join", "storm: join reply", again.JoinLatency, withTail: false);
            if (stormCpuStart is { } s0 && stormCpuEnd is { } s1 && again.Joined > 0)
            {
                result.Add("storm_server_cpu_us_per_join", "storm: server CPU per reconnect", (s1 - s0) * 1000 / again.Joined, "µs", 0);
            }

            if (again.FirstError is { } stormError)
            {
                result.Note($"storm first error: {stormError}");
            }
        }

        return result;
    }

    // Every topic at once, so every client (on every node) receives each round: a cluster-wide fan-out.
    private static async Task PublishRoundsAsync(BenchTarget target, ConnectSettings settings, WorkerFleet fleet, ScenarioResult result, TextWriter log)
    {
        var joined = (await fleet.ResetAsync().ConfigureAwait(false)).Sum(report => report.Joined);
        var channels = "[" + string.Join(",", Enumerable.Range(0, settings.Topics).Select(topic => $"\"room:{topic}\"")) + "]";
        log.WriteLine($"connect: {settings.PublishRounds} round(s) of pushes to all {settings.Topics} topics via {target.Nodes[0]}");
        using var publisher = new Publisher(target.Nodes[0], maxInFlight: 1);
        var cpuStart = await target.CpuMillisecondsAsync().ConfigureAwait(false);
        var published = await publisher.RunAsync(settings.PublishRounds, rate: 1, _ => (channels, settings.Topics), padBytes: 16, CancellationToken.None).ConfigureAwait(false);
        var expected = published.Accepted * joined;
        var reports = await FanoutScenario.WaitForDeliveriesAsync(fleet, expected, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var cpuEnd = await target.CpuMillisecondsAsync().ConfigureAwait(false);
        var received = reports.Sum(report => report.Received);
        result.Add("rounds_expected", "rounds: deliveries expected", expected);
        result.Add("rounds_received", "rounds: deliveries received", received);
        result.Add("rounds_lost", "rounds: lost", Math.Max(0, expected - received));
        result.AddLatency("rounds_latency", "rounds: publish→receive", LatencyHistogram.Merge(reports.Select(report => report.PushLatency)));
        if (cpuStart is { } c0 && cpuEnd is { } c1 && received > 0)
        {
            result.Add("rounds_server_cpu_us_per_delivery", "rounds: server CPU per delivery", (c1 - c0) * 1000 / received, "µs", 2);
        }

        if (published.FirstFailure is { } failure)
        {
            result.Note($"first publish failure: {failure}");
        }
    }
}
