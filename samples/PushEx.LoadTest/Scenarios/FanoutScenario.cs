using System.Diagnostics;
using PushEx.LoadTest.Metrics;
using PushEx.LoadTest.Workers;

namespace PushEx.LoadTest.Scenarios;

/// <summary>
/// <c>fanout</c>: K subscribers on one topic (or, per user, one topic each); a publisher posts to the push API at a
/// set rate; every client records publish→receive latency from the timestamp in the data. Reports deliveries per
/// second, p50/p99/p99.9, losses (expected deliveries minus received), and against the bench servers the server's
/// CPU per delivery.
/// </summary>
internal static class FanoutScenario
{
    public static async Task<ScenarioResult> RunAsync(BenchTarget target, FanoutSettings settings, TextWriter log)
    {
        var name = settings.PerUser ? "fanout-per-user" : "fanout";
        var result = new ScenarioResult(name, $"{target.Protocol} {target.Nodes[0]}");
        await using var fleet = WorkerFleet.Start(settings.Subscribers, settings.Workers);
        var template = new WorkerCommand
        {
            Command = "connect",
            Protocol = target.Protocol,
            Nodes = [target.Endpoints[0]],
            TopicPrefix = settings.PerUser ? "user:" : "fan:",
            Topics = settings.PerUser ? 0 : 1,
            Rate = 0,
            Concurrency = 200,
            TimeoutSeconds = 60,
        };
        log.WriteLine($"{name}: connecting {settings.Subscribers} subscribers");
        var open = await fleet.ConnectAsync(template, settings.Subscribers, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        result.Add("subscribers", "subscribers joined", open.Joined);
        if (open.Joined == 0)
        {
            result.Note($"no subscriber joined: {open.FirstError}");
            return result;
        }

        var batches = BuildChannels(settings);
        using var publisher = new Publisher(settings.PublishUrl ?? target.Nodes[0], settings.MaxInFlight);

        // A few pushes first, so that neither server is measured while its code is still being compiled.
        await publisher.RunAsync(5, 20, batches, settings.PadBytes, CancellationToken.None).ConfigureAwait(false);
        await Task.Delay(500).ConfigureAwait(false);
        await fleet.ResetAsync().ConfigureAwait(false);

        var count = (int)Math.Max(1, Math.Round(settings.Rate * settings.Duration.TotalSeconds));
        log.WriteLine($"{name}: publishing {count} pushes at {settings.Rate}/s to {(settings.PerUser ? $"{settings.Batch} users each" : "one topic")}");
        var cpuStart = await target.CpuMillisecondsAsync().ConfigureAwait(false);
        var allocatedStart = await target.AllocatedBytesAsync().ConfigureAwait(false);
        var workerCpuStart = (await fleet.StatsAsync().ConfigureAwait(false)).Sum(report => report.CpuMilliseconds);
        settings.PublishWindowStarting?.Invoke();
        var published = await publisher.RunAsync(count, settings.Rate, batches, settings.PadBytes, CancellationToken.None).ConfigureAwait(false);

        var expected = settings.PerUser
            ? (long)Math.Round(published.AcceptedChannels * (open.Joined / (double)settings.Subscribers))
            : published.Accepted * open.Joined;
        var reports = await WaitForDeliveriesAsync(fleet, expected, settings.Drain).ConfigureAwait(false);
        settings.PublishWindowEnded?.Invoke();
        var cpuEnd = await target.CpuMillisecondsAsync().ConfigureAwait(false);
        var allocatedEnd = await target.AllocatedBytesAsync().ConfigureAwait(false);
        var workerCpuEnd = reports.Sum(report => report.CpuMilliseconds);

        var received = reports.Sum(report => report.Received);
        var lastReceived = reports.Max(report => report.LastReceivedUnixMicros);
        var window = Math.Max(1, lastReceived - published.StartedUnixMicros) / 1e6;
        var latency = LatencyHistogram.Merge(reports.Select(report => report.PushLatency));

        result.Add("publishes_accepted", "publishes accepted", published.Accepted);
        result.Add("publishes_failed", "publishes refused or failed", published.Failed);
        result.Add("publish_rate", "publish rate", published.Accepted / published.Elapsed.TotalSeconds, "/s", 1);
        result.Add("expected", "deliveries expected", expected);
        result.Add("received", "deliveries received", received);
        result.Add("lost", "lost", Math.Max(0, expected - received));
        result.Add("deliveries_per_s", "deliveries per second", received / window, "/s", 0);
        result.AddLatency("latency", "publish→receive", latency);
        if (cpuStart is { } c0 && cpuEnd is { } c1 && received > 0)
        {
            result.Add("server_cpu_us_per_delivery", "server CPU per delivery", (c1 - c0) * 1000 / received, "µs", 2);
            result.Add("server_cpu_percent", "server CPU (of one core)", (c1 - c0) / (window * 1000) * 100, "%", 0);
        }

        if (allocatedStart is { } a0 && allocatedEnd is { } a1 && received > 0)
        {
            result.Add("server_allocated_bytes_per_delivery", "server bytes allocated per delivery", (a1 - a0) / (double)received, "B", 1);
        }

        result.Add("loadgen_cpu_percent", "load generator CPU (of one core)", (workerCpuEnd - workerCpuStart) / (window * 1000) * 100, "%", 0);
        result.Add("publisher_max_lag_ms", "publisher's worst lag behind schedule", published.MaxLag.TotalMilliseconds, "ms", 1);
        if (published.FirstFailure is { } failure)
        {
            result.Note($"first publish failure: {failure}");
        }

        var disconnects = reports.Sum(report => report.Disconnects);
        if (disconnects > 0)
        {
            result.Note($"{disconnects} subscriber(s) were disconnected by the server during the run");
        }

        return result;
    }

    private static Func<int, (string Json, int Channels)> BuildChannels(FanoutSettings settings)
    {
        if (!settings.PerUser)
        {
            return _ => ("\"fan:0\"", 1);
        }

        // Publish k names the next Batch users, wrapping around.
        var batch = Math.Clamp(settings.Batch, 1, settings.Subscribers);
        var batchCount = (settings.Subscribers + batch - 1) / batch;
        var cache = new (string, int)[batchCount];
        for (var b = 0; b < batchCount; b++)
        {
            var users = Enumerable.Range(b * batch, Math.Min(batch, settings.Subscribers - (b * batch))).ToList();
            cache[b] = ("[" + string.Join(",", users.Select(user => $"\"user:{user}\"")) + "]", users.Count);
        }

        return k => cache[k % batchCount];
    }

    // Polls until every expected delivery arrived, or nothing has arrived for a while, or the drain bound passed.
    internal static async Task<WorkerReport[]> WaitForDeliveriesAsync(WorkerFleet fleet, long expected, TimeSpan drain)
    {
        var started = Stopwatch.GetTimestamp();
        long lastSeen = -1;
        var lastProgress = Stopwatch.GetTimestamp();
        while (true)
        {
            var reports = await fleet.StatsAsync().ConfigureAwait(false);
            var received = reports.Sum(report => report.Received);
            if (received != lastSeen)
            {
                lastSeen = received;
                lastProgress = Stopwatch.GetTimestamp();
            }

            if (received >= expected || Stopwatch.GetElapsedTime(started) > drain || Stopwatch.GetElapsedTime(lastProgress) > TimeSpan.FromSeconds(3))
            {
                return reports;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }
}
