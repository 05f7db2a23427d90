using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushEx.Topics;

namespace PushEx.Sockets;

/// <summary>
/// Closes sockets that have sent nothing for <see cref="PushExOptions.IdleTimeout"/>. One shared timer walks
/// every socket a few times per timeout, instead of each socket owning a timer: an idle socket costs nothing.
/// </summary>
internal sealed partial class IdleTimeoutSweeper : IHostedService, IDisposable
{
    private static readonly TimeSpan MaxSweepInterval = TimeSpan.FromSeconds(1);

    private readonly SocketRegistry _sockets;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _idleTimeout;
    private readonly ILogger _logger;
    private ITimer? _timer;

    public IdleTimeoutSweeper(SocketRegistry sockets, IOptions<PushExOptions> options, TimeProvider timeProvider, ILogger<IdleTimeoutSweeper> logger)
    {
        _sockets = sockets;
        _timeProvider = timeProvider;
        _idleTimeout = options.Value.IdleTimeout;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A quarter of the timeout keeps a socket's actual lifetime within 125% of it; at most a second apart.
        var interval = TimeSpan.FromTicks(Math.Clamp(_idleTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond, MaxSweepInterval.Ticks));
        _timer = _timeProvider.CreateTimer(static state => ((IdleTimeoutSweeper)state!).Sweep(), this, interval, interval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Closes every socket idle for at least the timeout; returns how many.</summary>
    internal int Sweep()
    {
        var closed = 0;
        foreach (var socket in _sockets.Sockets)
        {
            // A socket already closing is left alone: its close has its own deadline (SocketOutbox.CloseWriteTimeout).
            if (!socket.IsClosing && _timeProvider.GetElapsedTime(socket.LastReceivedTimestamp) >= _idleTimeout)
            {
                socket.Close(SocketCloseCode.GoingAway, "idle timeout");
                closed++;
            }
        }

        if (closed > 0)
        {
            Log.IdleSocketsClosed(_logger, closed, _idleTimeout);
        }

        return closed;
    }

    public void Dispose() => _timer?.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, EventName = "IdleSocketsClosed",
            Message = "Closed {Count} sockets that sent nothing for {IdleTimeout}.")]
        public static partial void IdleSocketsClosed(ILogger logger, int count, TimeSpan idleTimeout);
    }
}
