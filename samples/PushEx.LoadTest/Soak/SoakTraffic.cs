using PushEx.LoadTest.Scenarios;
using PushEx.LoadTest.Workers;

namespace PushEx.LoadTest.Soak;

/// <summary>
/// What flows during the soak, in the background until stopped: pushes at a steady rate to the topics in turn (one
/// second of pushes at a time, so the totals stay current), and each second the due share of the churn (clients
/// reset and reconnected) and of the side-topic joins and leaves, spread over the worker processes.
/// </summary>
internal sealed class SoakTraffic : IAsyncDisposable
{
    private readonly SoakSettings _settings;
    private readonly WorkerFleet _fleet;
    private readonly Publisher _publisher;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pushing;
    private readonly Task _churning;
    private long _accepted;
    private long _failed;
    private string? _firstFailure;

    public SoakTraffic(SoakSettings settings, WorkerFleet fleet, Uri node)
    {
        _settings = settings;
        _fleet = fleet;
        _publisher = new Publisher(node, settings.MaxInFlight, settings.Authorization);
        _pushing = PushAsync(_stop.Token);
        _churning = ChurnAsync(_stop.Token);
    }

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Failed => Interlocked.Read(ref _failed);

    public string? FirstFailure => Volatile.Read(ref _firstFailure);

    /// <summary>Set when the churn loop failed (a worker stopped answering); the soak reports it and ends.</summary>
    public Exception? ChurnError { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pushing.ConfigureAwait(false);
        await _churning.ConfigureAwait(false);
        _publisher.Dispose();
        _stop.Dispose();
    }

    private async Task PushAsync(CancellationToken stop)
    {
        await Task.Yield();
        var channels = Enumerable.Range(0, _settings.Topics).Select(topic => ($"\"room:{topic}\"", 1)).ToArray();
        var perSecond = (int)Math.Max(1, Math.Round(_settings.Rate));
        long sent = 0;
        while (!stop.IsCancellationRequested)
        {
            var offset = sent;
            var result = await _publisher.RunAsync(perSecond, _settings.Rate, k => channels[(offset + k) % channels.Length], _settings.PadBytes, CancellationToken.None).ConfigureAwait(false);
            sent += perSecond;
            Interlocked.Add(ref _accepted, result.Accepted);
            Interlocked.Add(ref _failed, result.Failed);
            if (result.FirstFailure is { } failure)
            {
                Interlocked.CompareExchange(ref _firstFailure, failure, null);
            }
        }
    }

    private async Task ChurnAsync(CancellationToken stop)
    {
        var churnPerSecond = _settings.Clients * _settings.Churn / 60;
        var sidePerSecond = _settings.Clients * _settings.SideChanges / 60;
        double churnDue = 0;
        double sideDue = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                churnDue += churnPerSecond;
                sideDue += sidePerSecond;
                var churn = (int)churnDue;
                var side = (int)sideDue;
                churnDue -= churn;
                sideDue -= side;
                if (churn > 0)
                {
                    await _fleet.SpreadAsync(new WorkerCommand { Command = "churn", TimeoutSeconds = 60 }, churn).ConfigureAwait(false);
                }

                if (side > 0)
                {
                    await _fleet.SpreadAsync(new WorkerCommand { Command = "side", SideTopics = _settings.SideTopics }, side).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or IOException)
        {
            // A worker died or stopped answering.
            ChurnError = ex;
        }
    }
}
