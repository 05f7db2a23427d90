using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.LoadTest.Soak;
using PushEx.Topics;

namespace PushEx.AspNetCore.Tests.Soak;

/// <summary>
/// The load generator's soak (samples/PushEx.LoadTest/Soak) end to end with tiny numbers: its clients in a real worker
/// process, against a real Kestrel server exposing the bench servers' <c>/stats</c> and <c>/gc</c> (here the test
/// process itself is the server, so its /proc figures are read). Every interval must carry every figure, the churn,
/// the side joins and leaves and the pushes must all have happened, and the summary must judge every series.
/// </summary>
public sealed class SoakCommandTests
{
    [Fact]
    public async Task RunAsync_TinySoak_SamplesEveryFigureEachIntervalAndJudgesEverySeries()
    {
        await using var host = await PushExTestHost.StartAsync(configureApp: MapBenchEndpoints);
        var settings = new SoakSettings
        {
            Url = host.BaseAddress,
            Clients = 50,
            Workers = 1,
            Duration = TimeSpan.FromSeconds(8),
            Interval = TimeSpan.FromSeconds(2),
            Warmup = TimeSpan.Zero,
            Window = TimeSpan.FromSeconds(4),
            // 50 clients × 6 per minute: 5 resets and 5 side joins or leaves a second.
            Churn = 6,
            SideChanges = 6,
            SideTopics = 10,
            Rate = 20,
            Topics = 5,
            Authorization = "Bearer " + TestApiAuthorizer.Key,
        };
        var output = new StringWriter();
        var log = new StringWriter();

        var result = await SoakCommand.RunAsync(settings, output, log, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        result.PrintSummary(output);
        var report = $"{log}\n{output}";
        Assert.Equal(50, result.JoinedAtStart);
        Assert.Equal(4, result.Samples.Count);
        Assert.All(result.Samples, sample =>
        {
            Assert.True(sample.ServerResidentBytes > 0, report);
            Assert.True(sample.ServerManagedBytes > 0, report);
            Assert.True(sample.ServerThreads > 0, report);
            // Every socket is an open file of the server's process.
            Assert.True(sample.ServerOpenFiles >= sample.ServerConnections, report);
            Assert.InRange(sample.ServerConnections ?? 0, 40, 50);
            Assert.True(sample.DeliveriesPerSecond > 0, report);
            Assert.NotNull(sample.LatencyP99Ms);
        });
        Assert.Equal(4, output.ToString().Split('\n').Count(line => line.StartsWith("   ", StringComparison.Ordinal) && char.IsDigit(line.TrimStart()[0])));

        // Five a second for eight seconds each, less what was still in flight at the end.
        Assert.True(result.Reconnects >= 20, report);
        Assert.Equal(0, result.ReconnectFailures);
        Assert.True(result.SideReplies >= 20, report);
        Assert.Equal(0, result.SideErrors);
        Assert.True(result.PushesAccepted >= 100, report);
        Assert.Equal(0, result.PushesFailed);
        Assert.Equal(0, result.ServerDrops);
        Assert.InRange(result.JoinedAtEnd, 40, 50);

        Assert.Equal(
            ["latency_p99_ms", "server_heap_mib", "server_open_files", "server_rss_mib", "server_threads"],
            result.Verdicts.Select(verdict => verdict.Series).Order(StringComparer.Ordinal));
        Assert.NotNull(result.Flat);
        var json = JsonNode.Parse(result.ToJsonString())!;
        Assert.Equal(4, json["samples"]!.AsArray().Count);
        Assert.Equal(5, json["verdicts"]!.AsArray().Count);
    }

    // What tests/Baselines/Common/BenchHost maps: the process id and open connections, and the live heap after a full GC.
    private static void MapBenchEndpoints(WebApplication app)
    {
        var statistics = app.Services.GetRequiredService<ConnectionStatistics>();
        app.MapGet("/stats", () => Results.Json(new { connections = statistics.SocketCount, processId = Environment.ProcessId, allocatedBytes = GC.GetTotalAllocatedBytes() }));
        app.MapGet("/gc", () =>
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            return Results.Json(new { managedBytes = GC.GetTotalMemory(forceFullCollection: false), workingSetBytes = Environment.WorkingSet, connections = statistics.SocketCount });
        });
    }
}
