using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushEx.Topics;

namespace PushEx.Sockets;

/// <summary>
/// Closes sockets that have sent nothing for <see cref="PushExOptions.IdleTimeout"/>, and sockets whose credentials
/// expired (<see cref="ConnectResult.Ok(DateTimeOffset)"/>). One shared timer walks every socket a few times per
/// timeout, at least once a second, instead of each socket owning a timer: an idle socket costs nothing. The expiry
/// rides on the same walk, so an expired socket closes within one interval (at most a second) after its expiry; a
/// timer ordered by expiry would be more precise, but would cost every expiring socket an entry kept in step with
/// its close, for a precision no token lifetime needs.
/// </summary>
internal sealed partial class SocketSweeper : IHostedService, IDisposable
{
    private static readonly TimeSpan MaxSweepInterval = TimeSpan.FromSeconds(1);

    private readonly SocketRegistry _sockets;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _idleTimeout;
    private readonly ILogger _logger;
    private ITimer? _timer;

    public SocketSweeper(SocketRegistry sockets, IOptions<PushExOptions> options, TimeProvider timeProvider, ILogger<SocketSweeper> logger)
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
        _timer = _timeProvider.CreateTimer(static state => ((SocketSweeper)state!).Sweep(), this, interval, interval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Closes every socket idle for at least the timeout or past its expiry; returns how many.</summary>
    internal int Sweep()
    {
        var now = _timeProvider.GetUtcNow();
        var idle = 0;
        var expired = 0;
        foreach (var socket in _sockets.Sockets)
        {
            // A socket already closing is left alone: its close has its own deadline (SocketOutbox.CloseWriteTimeout).
            if (socket.IsClosing)
            {
                continue;
            }

            // Expiry first: a client that is both idle and expired must come back with fresh credentials either way,
            // and the code tells it why.
            if (socket.ExpiresAt is { } expiresAt && expiresAt <= now)
            {
                socket.Close(SocketCloseCode.TokenExpired, "token expired");
                expired++;
            }
            else if (_timeProvider.GetElapsedTime(socket.LastReceivedTimestamp) >= _idleTimeout)
            {
                socket.Close(SocketCloseCode.GoingAway, "idle timeout");
                idle++;
            }
        }

        if (idle > 0)
        {
            Log.IdleSocketsClosed(_logger, idle, _idleTimeout);
        }

        if (expired > 0)
        {
            Log.ExpiredSocketsClosed(_logger, expired);
        }

        return idle + expired;
    }

    public void Dispose() => _timer?.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, EventName = "IdleSocketsClosed",
            Message = "Closed {Count} sockets that sent nothing for {IdleTimeout}.")]
        public static partial void IdleSocketsClosed(ILogger logger, int count, TimeSpan idleTimeout);

        [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, EventName = "ExpiredSocketsClosed",
            Message = "Closed {Count} sockets whose connect expiry passed, with 4001 \"token expired\".")]
        public static partial void ExpiredSocketsClosed(ILogger logger, int count);
    }
}
