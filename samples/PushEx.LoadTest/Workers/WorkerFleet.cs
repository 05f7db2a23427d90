using System.Globalization;
using PushEx.LoadTest.Metrics;

namespace PushEx.LoadTest.Workers;

/// <summary>
/// The worker processes of one run. Clients are split evenly (at most <see cref="MaxClientsPerWorker"/> each), and
/// each worker binds its sockets to its own loopback source addresses, so that no address runs out of ports.
/// </summary>
internal sealed class WorkerFleet : IAsyncDisposable
{
    /// <summary>A process here may hold at most 20 000 files; a worker keeps a margin.</summary>
    public const int MaxClientsPerWorker = 15_000;

    private const int SourceAddressesPerWorker = 2;

    private readonly List<WorkerProcess> _workers;

    private WorkerFleet(List<WorkerProcess> workers) => _workers = workers;

    public int Count => _workers.Count;

    public static WorkerFleet Start(int clients, int? workers = null)
    {
        var count = workers ?? Math.Max(1, (clients + MaxClientsPerWorker - 1) / MaxClientsPerWorker);
        return new WorkerFleet([.. Enumerable.Range(0, count).Select(_ => WorkerProcess.Start())]);
    }

    /// <summary>Opens <paramref name="clients"/> clients across the workers; <paramref name="template"/> gives everything but the split.</summary>
    public async Task<OpenResult> ConnectAsync(WorkerCommand template, int clients, TimeSpan timeout)
    {
        var tasks = new List<Task<WorkerReport>>();
        var first = 0;
        for (var w = 0; w < _workers.Count; w++)
        {
            var share = (clients / _workers.Count) + (w < clients % _workers.Count ? 1 : 0);
            var command = template with
            {
                Command = "connect",
                Count = share,
                FirstIndex = first,
                Rate = template.Rate / _workers.Count,
                SourceAddresses = SourceAddresses(w),
            };
            first += share;
            tasks.Add(_workers[w].SendAsync(command, timeout));
        }

        return OpenResult.From(await Task.WhenAll(tasks).ConfigureAwait(false), stormStartedUnixMs: null);
    }

    /// <summary>Every worker drops all its connections at the same instant and reconnects them.</summary>
    public async Task<OpenResult> StormAsync(WorkerCommand template, TimeSpan timeout)
    {
        var at = Clock.UnixMillis() + 500;
        var reports = await Task.WhenAll(_workers.Select(worker => worker.SendAsync(template with { Command = "storm", AtUnixMs = at }, timeout))).ConfigureAwait(false);
        return OpenResult.From(reports, stormStartedUnixMs: at);
    }

    /// <summary>Zeroes the push counts and latencies; pushes published before now are ignored from then on.</summary>
    public Task<WorkerReport[]> ResetAsync() =>
        Task.WhenAll(_workers.Select(worker => worker.SendAsync(new WorkerCommand { Command = "reset", AtUnixMs = Clock.UnixMillis() }, TimeSpan.FromSeconds(30))));

    public Task<WorkerReport[]> StatsAsync() => AllAsync("stats");

    /// <summary>Sends <paramref name="template"/> to every worker with its share of <paramref name="count"/>; the remainder goes to workers picked at random.</summary>
    public Task<WorkerReport[]> SpreadAsync(WorkerCommand template, int count)
    {
        var offset = Random.Shared.Next(_workers.Count);
        return Task.WhenAll(_workers.Select((worker, w) =>
            worker.SendAsync(template with { Count = (count / _workers.Count) + ((w + offset) % _workers.Count < count % _workers.Count ? 1 : 0) }, TimeSpan.FromSeconds(30))));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Task<WorkerReport[]> AllAsync(string command) =>
        Task.WhenAll(_workers.Select(worker => worker.SendAsync(new WorkerCommand { Command = command }, TimeSpan.FromSeconds(30))));

    // 127.0.0.10 and up: 127.0.0.1 is left to the servers and the publisher.
    private static string[] SourceAddresses(int worker) =>
        [.. Enumerable.Range(0, SourceAddressesPerWorker).Select(i => string.Create(CultureInfo.InvariantCulture, $"127.0.0.{10 + (worker * SourceAddressesPerWorker) + i}"))];
}
