using System.Diagnostics;
using System.Net;
using PushEx.LoadTest.Metrics;
using PushEx.LoadTest.Wire;
using PushEx.LoadTest.Workers;

namespace PushEx.LoadTest.Load;

/// <summary>
/// The clients of one worker process: opens them at a paced rate with a bound on attempts in flight, keeps them
/// alive (one timer for all: each second, the clients whose slot it is send their keep-alive, so keep-alives are
/// spread evenly over the interval), drops and reopens them for a storm, and reports.
/// </summary>
internal sealed class ClientSet : IAsyncDisposable
{
    private readonly List<LoadClient> _clients = [];
    private readonly ClientStats _stats = new();
    private readonly CancellationTokenSource _stopping = new();
    private ClientProtocol? _protocol;
    private Task? _keepAlive;
    private string? _firstError;

    public ClientStats Stats => _stats;

    public async Task<WorkerReport> ConnectAsync(WorkerCommand command)
    {
        _protocol ??= ClientProtocol.Create(command.Protocol);
        var protocol = _protocol;
        var nodes = command.Nodes.Select(IPEndPoint.Parse).ToArray();
        var requests = nodes.Select(protocol.UpgradeRequest).ToArray();
        var sources = command.SourceAddresses.Select(IPAddress.Parse).ToArray();
        var created = new List<LoadClient>(command.Count);
        for (var i = 0; i < command.Count; i++)
        {
            var index = command.FirstIndex + i;
            var node = index % nodes.Length;
            var topic = command.Topics > 0 ? $"{command.TopicPrefix}{index % command.Topics}" : $"{command.TopicPrefix}{index}";
            var source = sources.Length > 0 ? sources[i % sources.Length] : null;
            created.Add(new LoadClient(index, topic, nodes[node], requests[node], source, protocol, _stats));
        }

        _clients.AddRange(created);
        _keepAlive ??= RunKeepAliveAsync(protocol.KeepAliveInterval);
        return await OpenAsync(created, command, retryUntil: null).ConfigureAwait(false);
    }

    /// <summary>At the agreed instant every connection is reset at once; then all reconnect, retrying until the timeout.</summary>
    public async Task<WorkerReport> StormAsync(WorkerCommand command)
    {
        var wait = command.AtUnixMs - Clock.UnixMillis();
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(wait)).ConfigureAwait(false);
        }

        foreach (var client in _clients)
        {
            client.Abort();
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(command.TimeoutSeconds * (double)Stopwatch.Frequency);
        return await OpenAsync(_clients, command, retryUntil: deadline).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops <c>Count</c> clients picked at random (a TCP reset, as a lost network would) and reconnects each at once,
    /// retrying until <c>TimeoutSeconds</c>; returns before they are back, the outcome is counted in the stats.
    /// </summary>
    public void Churn(WorkerCommand command)
    {
        foreach (var client in Pick(command.Count))
        {
            client.Abort();
            _ = ReconnectAsync(client, command.TimeoutSeconds);
        }
    }

    /// <summary><c>Count</c> clients picked at random each join a random side topic, or leave the one they are in.</summary>
    public void ToggleSideTopics(WorkerCommand command)
    {
        foreach (var client in Pick(command.Count))
        {
            var topic = $"{ClientProtocol.SideTopicPrefix}{Random.Shared.Next(Math.Max(1, command.SideTopics))}";
            _ = ToggleAndReleaseAsync(client, topic);
        }

        static async Task ToggleAndReleaseAsync(LoadClient client, string topic)
        {
            try
            {
                await client.ToggleSideTopicAsync(topic).ConfigureAwait(false);
            }
            finally
            {
                client.Release();
            }
        }
    }

    public WorkerReport Report() => new()
    {
        Joined = _clients.Count(client => client.IsJoined),
        JoinErrors = _stats.JoinErrors,
        Disconnects = _stats.Disconnects,
        Received = _stats.Received,
        Reconnects = _stats.Reconnects,
        ReconnectFailures = _stats.ReconnectFailures,
        SideRequests = _stats.SideRequests,
        SideReplies = _stats.SideReplies,
        SideErrors = _stats.SideErrors,
        LastReceivedUnixMicros = _stats.LastReceivedUnixMicros,
        PushLatency = _stats.Push.Export(),
        CpuMilliseconds = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds,
        WorkingSetBytes = Environment.WorkingSet,
        FirstError = _firstError,
    };

    public void CloseAll()
    {
        foreach (var client in _clients)
        {
            client.Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        CloseAll();
        if (_keepAlive is not null)
        {
            await _keepAlive.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task<WorkerReport> OpenAsync(List<LoadClient> clients, WorkerCommand command, long? retryUntil)
    {
        // Each opening reports its own latencies.
        _stats.Connect.Reset();
        _stats.Join.Reset();

        using var gate = new SemaphoreSlim(Math.Max(1, command.Concurrency));
        var started = Stopwatch.GetTimestamp();
        var startedUnixMs = Clock.UnixMillis();
        var joined = 0;
        var failed = 0;
        long retries = 0;
        long firstJoined = 0;
        long lastJoined = 0;
        var tasks = new List<Task>(clients.Count);
        for (var i = 0; i < clients.Count; i++)
        {
            if (command.Rate > 0)
            {
                var due = TimeSpan.FromSeconds(i / command.Rate) - Stopwatch.GetElapsedTime(started);
                if (due > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(due).ConfigureAwait(false);
                }
            }

            await gate.WaitAsync().ConfigureAwait(false);
            tasks.Add(OpenOneAsync(clients[i]));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        return new WorkerReport
        {
            Joined = joined,
            Failed = failed,
            Retries = retries,
            JoinErrors = _stats.JoinErrors,
            StartedUnixMs = startedUnixMs,
            FirstJoinedUnixMs = firstJoined,
            LastJoinedUnixMs = lastJoined,
            ConnectLatency = _stats.Connect.Export(),
            JoinLatency = _stats.Join.Export(),
            CpuMilliseconds = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds,
            WorkingSetBytes = Environment.WorkingSet,
            FirstError = _firstError,
        };

        async Task OpenOneAsync(LoadClient client)
        {
            try
            {
                while (true)
                {
                    string? error;
                    using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(command.TimeoutSeconds)))
                    {
                        try
                        {
                            if (await client.ConnectAndJoinAsync(timeout.Token).ConfigureAwait(false))
                            {
                                var now = Clock.UnixMillis();
                                Interlocked.CompareExchange(ref firstJoined, now, 0);
                                InterlockedMax(ref lastJoined, now);
                                Interlocked.Increment(ref joined);
                                return;
                            }

                            error = "join refused";
                        }
                        catch (Exception ex) when (ex is not OutOfMemoryException)
                        {
                            error = $"{ex.GetType().Name}: {ex.Message}";
                        }
                    }

                    Interlocked.CompareExchange(ref _firstError, error, null);
                    if (retryUntil is null || Stopwatch.GetTimestamp() > retryUntil)
                    {
                        Interlocked.Increment(ref failed);
                        return;
                    }

                    // A refused or reset attempt is retried soon, as phoenix.js retries after 10 ms, 50 ms, 100 ms, …
                    Interlocked.Increment(ref retries);
                    await Task.Delay(TimeSpan.FromMilliseconds(50 + Random.Shared.Next(100))).ConfigureAwait(false);
                }
            }
            finally
            {
                gate.Release();
            }
        }
    }

    // Up to `count` distinct clients, claimed so that a churn and a side change never work on one at the same time;
    // a client still reconnecting from an earlier churn is skipped. The caller releases each.
    private List<LoadClient> Pick(int count)
    {
        var picked = new List<LoadClient>(count);
        for (var attempt = 0; picked.Count < count && attempt < count * 4 && _clients.Count > 0; attempt++)
        {
            var client = _clients[Random.Shared.Next(_clients.Count)];
            if (client.TryClaim())
            {
                picked.Add(client);
            }
        }

        return picked;
    }

    private async Task ReconnectAsync(LoadClient client, int timeoutSeconds)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeoutSeconds * (double)Stopwatch.Frequency);
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                    timeout.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
                    if (await client.ConnectAndJoinAsync(timeout.Token).ConfigureAwait(false))
                    {
                        _stats.RecordReconnect(joined: true);
                        return;
                    }
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Interlocked.CompareExchange(ref _firstError, $"reconnect: {ex.GetType().Name}: {ex.Message}", null);
                }

                if (Stopwatch.GetTimestamp() > deadline)
                {
                    _stats.RecordReconnect(joined: false);
                    return;
                }

                // As phoenix.js does, a failed attempt is retried after a short pause.
                await Task.Delay(TimeSpan.FromMilliseconds(50 + Random.Shared.Next(100))).ConfigureAwait(false);
            }
        }
        finally
        {
            client.Release();
        }
    }

    private async Task RunKeepAliveAsync(TimeSpan interval)
    {
        var slots = Math.Max(1, (int)interval.TotalSeconds);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                var slot = tick++ % slots;
                for (var i = slot; i < _clients.Count; i += slots)
                {
                    _clients[i].SendKeepAlive();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
