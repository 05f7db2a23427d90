using System.Diagnostics;
using PushEx.LoadTest.Metrics;
using PushEx.LoadTest.Scenarios;
using PushEx.LoadTest.Workers;

namespace PushEx.LoadTest.Soak;

/// <summary>
/// <c>soak</c>: holds the clients (in worker processes) on one server for a long time while pushes flow at a steady
/// rate, a share of the clients is reset and reconnects each minute and another share joins or leaves side topics;
/// every interval it samples the server (RSS, live managed heap, threads, open files, CPU) and the interval's
/// deliveries and push latency, prints a line, and at the end judges whether each series stayed flat.
/// </summary>
internal static class SoakScenario
{
    public static async Task<SoakResult> RunAsync(BenchTarget target, SoakSettings settings, TextWriter output, TextWriter log, CancellationToken cancellationToken)
    {
        var result = new SoakResult(settings, $"{target.Protocol} {target.Nodes[0]}");
        var probe = new ServerProbe(target, settings.ServerPid);
        await using var fleet = WorkerFleet.Start(settings.Clients, settings.Workers);
        var template = new WorkerCommand
        {
            Command = "connect",
            Protocol = target.Protocol,
            Nodes = [target.Endpoints[0]],
            TopicPrefix = "room:",
            Topics = settings.Topics,
            Rate = settings.ConnectRate,
            Concurrency = 200,
            TimeoutSeconds = 60,
        };
        log.WriteLine($"soak: connecting {settings.Clients} clients over {fleet.Count} worker(s) at {settings.ConnectRate}/s");
        var open = await fleet.ConnectAsync(template, settings.Clients, TimeSpan.FromMinutes(30)).ConfigureAwait(false);
        result.JoinedAtStart = open.Joined;
        result.ConnectSeconds = open.Seconds;
        if (open.FirstError is { } error)
        {
            result.Note($"first connect error: {error}");
        }

        if (open.Joined == 0)
        {
            result.Note("no client joined; nothing to soak");
            return result;
        }

        var previous = await fleet.ResetAsync().ConfigureAwait(false);
        var previousLatency = LatencyHistogram.Merge(previous.Select(report => report.PushLatency));
        await probe.ReadAsync().ConfigureAwait(false);
        log.WriteLine($"soak: {open.Joined} joined; {settings.Duration.TotalMinutes:F1} min of {settings.Rate}/s pushes over {settings.Topics} topics, churn {settings.Churn:P1}/min, side joins/leaves {settings.SideChanges:P1}/min");
        output.WriteLine(SoakResult.Header);

        var started = Stopwatch.GetTimestamp();
        long previousAccepted = 0;
        long previousFailed = 0;
        var previousAt = started;
        var samples = (int)Math.Round(settings.Duration / settings.Interval);
        var traffic = new SoakTraffic(settings, fleet, target.Nodes[0]);
        WorkerReport[] reports = previous;
        try
        {
            for (var i = 1; i <= samples && !cancellationToken.IsCancellationRequested; i++)
            {
                var due = (settings.Interval * i) - Stopwatch.GetElapsedTime(started);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                }

                if (traffic.ChurnError is { } churnError)
                {
                    result.Note($"stopped early: {churnError.Message}");
                    break;
                }

                reports = await fleet.StatsAsync().ConfigureAwait(false);
                var now = Stopwatch.GetTimestamp();
                var server = await probe.ReadAsync().ConfigureAwait(false);
                var seconds = Stopwatch.GetElapsedTime(previousAt, now).TotalSeconds;
                var latency = LatencyHistogram.Merge(reports.Select(report => report.PushLatency));
                var interval = latency.Since(previousLatency);
                var accepted = traffic.Accepted;
                var failed = traffic.Failed;
                var sample = new SoakSample
                {
                    Minutes = Stopwatch.GetElapsedTime(started, now).TotalMinutes,
                    ServerConnections = server.Connections,
                    ClientsJoined = reports.Sum(report => report.Joined),
                    ServerResidentBytes = server.ResidentBytes,
                    ServerManagedBytes = server.ManagedBytes,
                    ServerThreads = server.Threads,
                    ServerOpenFiles = server.OpenFiles,
                    ServerCpuPercent = server.CpuPercent,
                    PushesPerSecond = (accepted - previousAccepted) / seconds,
                    PushesFailed = failed - previousFailed,
                    DeliveriesPerSecond = (reports.Sum(report => report.Received) - previous.Sum(report => report.Received)) / seconds,
                    LatencyP50Ms = interval.Percentile(0.50) / 1000,
                    LatencyP99Ms = interval.Percentile(0.99) / 1000,
                    LatencyMaxMs = interval.Max() / 1000,
                    Reconnects = Delta(report => report.Reconnects),
                    ReconnectFailures = Delta(report => report.ReconnectFailures),
                    SideReplies = Delta(report => report.SideReplies),
                    SideErrors = Delta(report => report.SideErrors),
                    ServerDrops = Delta(report => report.Disconnects),
                    LoadGeneratorResidentBytes = reports.Sum(report => report.WorkingSetBytes),
                };
                result.Add(sample);
                output.WriteLine(SoakResult.Line(sample));
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);

                previous = reports;
                previousLatency = latency;
                previousAccepted = accepted;
                previousFailed = failed;
                previousAt = now;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            result.Note("stopped before the end");
        }
        finally
        {
            await traffic.DisposeAsync().ConfigureAwait(false);
        }

        reports = await fleet.StatsAsync().ConfigureAwait(false);
        result.JoinedAtEnd = reports.Sum(report => report.Joined);
        result.PushesAccepted = traffic.Accepted;
        result.PushesFailed = traffic.Failed;
        result.Deliveries = reports.Sum(report => report.Received);
        result.Reconnects = reports.Sum(report => report.Reconnects);
        result.ReconnectFailures = reports.Sum(report => report.ReconnectFailures);
        result.SideReplies = reports.Sum(report => report.SideReplies);
        result.SideErrors = reports.Sum(report => report.SideErrors);
        result.ServerDrops = reports.Sum(report => report.Disconnects);
        if (traffic.FirstFailure is { } failure)
        {
            result.Note($"first push failure: {failure}");
        }

        if (reports.Select(report => report.FirstError).FirstOrDefault(message => message is not null) is { } clientError)
        {
            result.Note($"first client error: {clientError}");
        }

        result.Judge(
            warmupSamples: (int)Math.Ceiling(settings.Warmup / settings.Interval),
            windowSamples: Math.Max(1, (int)Math.Round(settings.Window / settings.Interval)));
        return result;

        long Delta(Func<WorkerReport, long> value) => reports.Sum(value) - previous.Sum(value);
    }
}
