using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

namespace PushEx.LoadTest.Roll;

/// <summary>
/// One client speaking raw V2 frames the way the unmodified pushex.js does: it joins its topics with <c>{}</c>, heartbeats
/// every 30 s, and when its connection closes or fails it reconnects with backoff and rejoins (implicit recovery is the
/// server's, keyed by the socket id the token names). It records every push it receives per topic, and how long it was
/// without a joined connection: from the loss of a connection on which all its topics were joined until every topic's
/// rejoin was answered.
/// </summary>
internal sealed partial class RollClient
{
    // pushex.js's reconnect schedule (3, 6, 10, 20, then 30 s), after a first try of RollSettings.FirstReconnectDelay.
    private static readonly double[] LaterDelaysSeconds = [3, 6, 10, 20, 30];
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly RollSettings _settings;
    private readonly ConnectCounter _connects;
    private readonly byte[][] _topicNames;
    private readonly Lock _lock = new();
    private long _lostAt;
    private long _disconnectedTicks;
    private bool _everJoined;
    private Connection? _connection;

    public RollClient(string user, IReadOnlyList<TopicLedger> topics, RollSettings settings, ConnectCounter connects)
    {
        User = user;
        _settings = settings;
        _connects = connects;
        Receipts = [.. topics.Select(topic => new TopicReceipts(topic))];
        _topicNames = [.. topics.Select(topic => Encoding.UTF8.GetBytes(topic.Topic))];
    }

    public string User { get; }

    /// <summary>Per topic (its own <c>user:ID</c> first, then the shared ones): what arrived.</summary>
    public TopicReceipts[] Receipts { get; }

    /// <summary>Connections that ended under the client (not counting the stop at the end).</summary>
    public int Drops { get; private set; }

    /// <summary>Sockets opened after the first.</summary>
    public int Reconnects { get; private set; }

    /// <summary>Connect attempts that failed (refused, reset, timed out).</summary>
    public int FailedAttempts { get; private set; }

    /// <summary>phx_error or phx_close on a joined topic (the client rejoins the topic).</summary>
    public int ChannelErrors { get; private set; }

    public int RecoveriesOk { get; private set; }

    public int RecoveriesFailed { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>The lock under which the receive loop records; hold it to read <see cref="Receipts"/> while the client runs.</summary>
    public Lock Sync => _lock;

    /// <summary>True while the client has an open socket.</summary>
    public bool IsConnected
    {
        get
        {
            lock (_lock)
            {
                return _connection is not null;
            }
        }
    }

    /// <summary>True while every topic is joined on the open socket.</summary>
    public bool IsJoined
    {
        get
        {
            lock (_lock)
            {
                return _connection?.AllJoined == true;
            }
        }
    }

    /// <summary>Time spent without a joined connection since the first join, the loss still going on included.</summary>
    public TimeSpan Disconnected
    {
        get
        {
            lock (_lock)
            {
                var ticks = _disconnectedTicks + (_lostAt == 0 ? 0 : Stopwatch.GetTimestamp() - _lostAt);
                return TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency);
            }
        }
    }

    /// <summary>Connects, joins and reconnects until <paramref name="stop"/>; the first connect waits for a slot of <paramref name="firstConnect"/>.</summary>
    public async Task RunAsync(Uri socketUri, SemaphoreSlim firstConnect, CancellationToken stop)
    {
        var tries = 0;
        var restart = false;
        var first = true;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!first)
                {
                    await Task.Delay(ReconnectDelay(tries, restart), stop).ConfigureAwait(false);
                }

                var status = await RunConnectionAsync(socketUri, first ? firstConnect : null, stop).ConfigureAwait(false);
                restart = status == (WebSocketCloseStatus)1012;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or HttpRequestException)
            {
                LastError = ex.Message;
                restart = false;
            }

            first = false;
            tries = EndConnection(stop.IsCancellationRequested) ? 1 : tries + 1;
        }
    }

    // pushex.js waits 3 s before its first reconnect; a shorter first try with jitter, spread over [0, first] after a
    // drain's 1012 (the cluster asked for it: reconnect promptly, but not all at once), keeps a roll's figures about
    // the server rather than about the client's patience. Later tries follow pushex.js, ±20 %.
    private TimeSpan ReconnectDelay(int tries, bool restart)
    {
        var first = _settings.FirstReconnectDelay;
        if (tries <= 1)
        {
            return restart ? first * Random.Shared.NextDouble() : first * (0.5 + Random.Shared.NextDouble());
        }

        var seconds = LaterDelaysSeconds[Math.Min(tries - 2, LaterDelaysSeconds.Length - 1)];
        return TimeSpan.FromSeconds(seconds * (0.8 + (0.4 * Random.Shared.NextDouble())));
    }

    // Called when a connection (or an attempt) ended: true when it had joined every topic, so the backoff starts over.
    private bool EndConnection(bool stopping)
    {
        lock (_lock)
        {
            var connection = _connection;
            _connection = null;
            if (connection is null)
            {
                FailedAttempts += stopping ? 0 : 1;
                return false;
            }

            if (!stopping)
            {
                Drops++;
                if (_everJoined && _lostAt == 0)
                {
                    _lostAt = Stopwatch.GetTimestamp();
                }
            }

            return connection.WasAllJoined;
        }
    }

    private void Opened(Connection connection)
    {
        lock (_lock)
        {
            Reconnects += connection.Number > 1 ? 1 : 0;
            _connection = connection;
        }

        _connects.Record();
    }

    // Every topic's join was answered ok on this connection.
    private void AllJoined()
    {
        if (_lostAt != 0)
        {
            _disconnectedTicks += Stopwatch.GetTimestamp() - _lostAt;
            _lostAt = 0;
        }

        _everJoined = true;
    }
}
