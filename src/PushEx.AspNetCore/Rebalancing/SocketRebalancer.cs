using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushEx.AspNetCore.Shutdown;
using PushEx.Instrumentation;
using PushEx.PubSub;
using PushEx.Sockets;
using PushEx.Topics;

namespace PushEx.AspNetCore.Rebalancing;

/// <summary>
/// Evens out socket counts across a cluster (<see cref="PushExOptions.Rebalance"/>, off by default). Every
/// <see cref="RebalanceOptions.Interval"/> the node reports its open sockets through <see cref="IClusterLoad"/> and
/// reads the other live nodes' counts; when it holds more than the average by more than
/// <see cref="RebalanceOptions.Tolerance"/>, it closes its excess over the average with 1012 (in this round and the next
/// ones, until it is down to the average), at most
/// <see cref="RebalanceOptions.MaxClosesPerSecond"/> × the interval, one close per equal slot of the interval at a random
/// point within the slot. The clients reconnect through the load balancer, which sends them to emptier nodes, and
/// recover what they missed from the topics' history.
/// </summary>
/// <remarks>
/// The sockets closed are a uniform random sample of the node's open ones, not the oldest or newest: they then do not
/// all belong to one group (one tenant's clients, which connected together), and no timestamps need sorting. A client
/// moved once lands on a node below the average, which does not shed, so it is not moved back and forth. Nothing is
/// shed while the node drains (the drain closes every socket itself) or while the counts cannot be shared; and the node
/// removes its count when it begins stopping, so the others do not balance against a node that is leaving. Nor while
/// the cluster changes: after a node joined or left, shedding waits until the same nodes have reported for three rounds,
/// so a rolling deploy (a node leaving and returning every few seconds) is not made worse by moves to nodes about to
/// drain; the cluster is evened out once it is over.
/// </remarks>
internal sealed partial class SocketRebalancer : IHostedService, IAsyncDisposable
{
    private readonly RebalanceOptions _options;
    private readonly SocketRegistry _sockets;
    private readonly DrainState _drain;
    private readonly IClusterLoad? _load;
    private readonly PushMetrics _metrics;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly CancellationTokenSource _stop = new();
    private CancellationTokenRegistration _stopping;
    private Task _loop = Task.CompletedTask;
    private Task _leave = Task.CompletedTask;
    private int _started;
    private int _leaving;
    private int _disposed;

    // A node that joined or left resets the count; shedding waits until the same nodes have reported this many rounds
    // in a row. A rolling deploy changes the cluster every few seconds (a node leaves as it drains, returns when it
    // starts): moving clients then would put them on nodes about to drain, and move them again.
    private const int RoundsBeforeShedding = 3;

    // Only the loop touches these. The first round may shed: a node that starts has nothing to shed.
    private bool _shedding;
    private string? _members;
    private int _stableRounds = RoundsBeforeShedding;

    public SocketRebalancer(
        IOptions<PushExOptions> options,
        SocketRegistry sockets,
        DrainState drain,
        PushMetrics metrics,
        IHostApplicationLifetime lifetime,
        TimeProvider timeProvider,
        ILogger<SocketRebalancer> logger,
        IClusterLoad? load = null,
        Random? random = null)
    {
        _options = options.Value.Rebalance;
        _sockets = sockets;
        _drain = drain;
        _load = load;
        _metrics = metrics;
        _lifetime = lifetime;
        _timeProvider = timeProvider;
        _logger = logger;
        _random = random ?? Random.Shared;
    }

    /// <summary>The most sockets one round closes: <see cref="RebalanceOptions.MaxClosesPerSecond"/> × the interval.</summary>
    public int MaxClosesPerRound => (int)Math.Floor(_options.MaxClosesPerSecond * _options.Interval.TotalSeconds);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled || _load is null)
        {
            // Enabled without a cluster is refused when the options are validated.
            return Task.CompletedTask;
        }

        // ApplicationStopping fires as the drain begins, before any hosted service is stopped: the other nodes stop
        // counting this one at once, instead of balancing against its sockets while they leave.
        _started = 1;
        _stopping = _lifetime.ApplicationStopping.Register(static state => ((SocketRebalancer)state!).Leave(), this);
        _loop = RunAsync(_stop.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Leave();
        await _leave.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as a hosted service: the container disposes it once for each.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.DisposeAsync().ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private void Leave()
    {
        if (_load is null || Volatile.Read(ref _started) == 0 || Interlocked.Exchange(ref _leaving, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _leave = LeaveAsync(_load);
    }

    private async Task LeaveAsync(IClusterLoad load)
    {
        // After the loop, so that its last report cannot put the entry back.
        await _loop.ConfigureAwait(false);
        await load.LeaveAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // Off the caller's thread: StartAsync returns at once.
        await Task.Yield();
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = _timeProvider.GetTimestamp();
            try
            {
                await RoundAsync(started, cancellationToken).ConfigureAwait(false);
                var rest = _options.Interval - _timeProvider.GetElapsedTime(started);
                if (rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // One bad round must not end rebalancing for the node's life; the next one tries again.
                Log.RoundFailed(_logger, ex);
                await Task.Delay(_options.Interval, _timeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task RoundAsync(long started, CancellationToken cancellationToken)
    {
        if (_drain.IsDraining)
        {
            return;
        }

        // Sockets already closing (by an earlier round, the idle sweep, a slow consumer) have left in all but name.
        var own = 0;
        foreach (var socket in _sockets.Sockets)
        {
            if (!socket.IsClosing)
            {
                own++;
            }
        }

        if (!await _load!.ReportAsync(own, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var others = await _load.ReadOthersAsync(_options.Interval * 3, cancellationToken).ConfigureAwait(false);
        if (others is null || others.Count == 0)
        {
            return;
        }

        long total = own;
        foreach (var other in others)
        {
            total += other.Sockets;
        }

        var nodes = others.Count + 1;
        var average = (double)total / nodes;
        var members = string.Join(' ', others.Select(other => other.Node).Order(StringComparer.Ordinal));
        _stableRounds = _members is null || members == _members ? _stableRounds + 1 : 1;
        _members = members;
        if (_stableRounds < RoundsBeforeShedding)
        {
            _shedding = false;
            return;
        }

        // Shedding begins above the tolerance and, once begun, goes on down to the average: stopping at the tolerance
        // would leave every full node just under it and the emptiest one short by all their margins together.
        var threshold = _shedding ? average : average * (1 + _options.Tolerance);
        var excess = own > threshold ? (int)Math.Min(Math.Floor(own - average), MaxClosesPerRound) : 0;
        _shedding = excess > 0;
        var chosen = Choose(excess);
        if (chosen.Count == 0 || _drain.IsDraining)
        {
            return;
        }

        Log.Shedding(_logger, own, average, nodes, chosen.Count, _options.Interval);
        await ShedAsync(chosen, started, cancellationToken).ConfigureAwait(false);
    }

    // A uniform sample of the open sockets (reservoir sampling): one pass, no copy of the registry.
    private List<PushSocket> Choose(int count)
    {
        var chosen = new List<PushSocket>(count);
        if (count <= 0)
        {
            return chosen;
        }

        var seen = 0;
        foreach (var socket in _sockets.Sockets)
        {
            if (socket.IsClosing)
            {
                continue;
            }

            seen++;
            if (chosen.Count < count)
            {
                chosen.Add(socket);
            }
            else if (_random.Next(seen) is var slot && slot < count)
            {
                chosen[slot] = socket;
            }
        }

        // The sample's order is the registry's for its first members; the closes should not follow it.
        _random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(chosen));
        return chosen;
    }

    // The round's interval is cut into one slot per close, each close at a random point in its slot: spread out, never
    // two slots' worth at once, and done before the next round counts again.
    private async Task ShedAsync(List<PushSocket> chosen, long started, CancellationToken cancellationToken)
    {
        var slot = _options.Interval / chosen.Count;
        for (var i = 0; i < chosen.Count; i++)
        {
            var wait = (slot * (i + _random.NextDouble())) - _timeProvider.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _timeProvider, cancellationToken).ConfigureAwait(false);
            }

            if (_drain.IsDraining)
            {
                return;
            }

            // A socket that ended or began closing meanwhile is not replaced: never more closes than planned.
            var socket = chosen[i];
            if (_sockets.Contains(socket) && !socket.IsClosing)
            {
                socket.Close(SocketCloseCode.ServiceRestart, "rebalance");
                _metrics.Rebalanced();
            }
        }
    }
}
