using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushEx.History;
using PushEx.Topics;
using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

/// <summary>
/// The cluster backplane over Redis pub/sub. A node subscribes to a topic's channel only while it has local
/// subscribers of the topic (DESIGN.md, difference 5), so a publish reaches exactly the nodes that listen, and
/// Redis's receiver count tells the pipeline whether anyone listened: no replicated tracker is needed.
/// A push to a topic without history is delivered to this node's own subscribers directly; the echo Redis sends back
/// is recognised by the node id and skipped. A push to a topic with history is kept in Redis and delivered by every
/// node from the channel, echo included, so all agree on its offset's order (<c>.Publishing.cs</c>, <c>.History.cs</c>).
/// Pushes to one topic go out in order on one connection and are handled in order on each node.
/// </summary>
internal sealed partial class RedisPubSubAdapter : IPubSubAdapter, IHostedService, IAsyncDisposable
{
    private readonly Guid _node = Guid.NewGuid();
    private readonly RedisOptions _options;
    // Replaced once, before the backplane is first available, when the mode is Auto (.PubSubMode.cs); read only while available.
    private volatile RedisChannels _channels;
    private bool _modeDecided;
    private readonly LocalBroadcaster _broadcaster;
    private readonly TopicRegistry _topicRegistry;
    private readonly SocketRegistry _sockets;
    private readonly HistoryPolicy _history;
    private readonly byte[] _positionedPushHead;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    // Guards the subscription table and every subscription's state; never held across an await.
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ChannelSubscription> _topics = new(StringComparer.Ordinal);
    private readonly ChannelSubscription _control;
    private readonly Channel<ChannelSubscription> _due = Channel.CreateUnbounded<ChannelSubscription>(new UnboundedChannelOptions { SingleReader = true });
    private Task _maintenance = Task.CompletedTask;
    private ITimer? _retryTimer;
    private TimeSpan _retryDelay = MinRetryDelay;
    private bool _disposed;

    private IConnectionMultiplexer? _connection;
    private bool _ownsConnection;
    private volatile bool _available;
    private int _failedWhileUnavailable;

    public RedisPubSubAdapter(
        IOptions<RedisOptions> options,
        LocalBroadcaster broadcaster,
        TopicRegistry topicRegistry,
        SocketRegistry sockets,
        HistoryPolicy history,
        TimeProvider timeProvider,
        ILogger<RedisPubSubAdapter> logger)
    {
        _options = options.Value;
        _channels = new RedisChannels(_options.ChannelPrefix, sharded: _options.PubSubMode == RedisPubSubMode.Sharded);
        _broadcaster = broadcaster;
        _topicRegistry = topicRegistry;
        _sockets = sockets;
        _history = history;
        _positionedPushHead = RedisMessage.PositionedPushHead(_node);
        _timeProvider = timeProvider;
        _logger = logger;

        // The control channel (disconnects by socket id) is wanted for the node's whole life.
        _control = new ChannelSubscription(_channels.Control, topic: null) { References = 1 };
    }

    public bool IsAvailable => _available;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.ConnectionFactory is { } factory)
        {
            _connection = await factory(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var configuration = _options.Configuration?.Clone()
                ?? throw new InvalidOperationException("The Redis backplane needs RedisOptions.Configuration or RedisOptions.ConnectionFactory.");

            // Start even while Redis is down; the multiplexer keeps reconnecting and readiness reports the outage.
            configuration.AbortOnConnectFail = false;
            _connection = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
            _ownsConnection = true;
        }

        _connection.ConnectionFailed += OnConnectionFailed;
        _connection.ConnectionRestored += OnConnectionRestored;
        _maintenance = MaintainAsync();
        _shardWatch = WatchShardsAsync();
        // Read once: a connection made between two reads would report the backplane available with no mode decided.
        var connected = _connection.IsConnected;
        if (connected)
        {
            DecidePubSubMode();
        }

        _available = connected;
        if (_available)
        {
            Log.Connected(_logger, _node);
            RequestShardCheck();
            await SubscribeAsync(_control).ConfigureAwait(false);
        }
        else
        {
            Log.Unavailable(_logger);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Stops every timer and the maintenance loop, then lets go of Redis: a multiplexer of our own is disposed; on the
    /// app's multiplexer, which lives on, this node's subscriptions are removed so nothing keeps buffering for it.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        ChannelSubscription[] subscriptions;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _retryTimer?.Dispose();
            _retryTimer = null;
            subscriptions = [_control, .. _topics.Values];
            foreach (var subscription in subscriptions)
            {
                subscription.CancelPendingUnsubscribe();
            }
        }

        _due.Writer.TryComplete();
        await _maintenance.ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        _shardCheckRequests.Writer.TryComplete();
        await _shardWatch.ConfigureAwait(false);
        _stopping.Dispose();
        if (_connection is null)
        {
            return;
        }

        _connection.ConnectionFailed -= OnConnectionFailed;
        _connection.ConnectionRestored -= OnConnectionRestored;
        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        foreach (var subscription in subscriptions)
        {
            await subscription.Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                await ReleaseQueueAsync(subscription).ConfigureAwait(false);
            }
            finally
            {
                subscription.Gate.Release();
            }
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        // On a cluster, one server lost takes only its slots away (.Shards.cs) while others are connected.
        RequestShardCheck();
        if (_cluster && _connection?.IsConnected == true)
        {
            return;
        }

        if (_available)
        {
            _available = false;
            Log.Lost(_logger, e.FailureType, e.Exception);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (_connection?.IsConnected != true)
        {
            return;
        }

        if (!_available)
        {
            DecidePubSubMode();
            _available = true;
            var failed = Interlocked.Exchange(ref _failedWhileUnavailable, 0);
            if (failed > 0)
            {
                Log.RestoredAfterLosses(_logger, failed);
            }
            else
            {
                Log.Restored(_logger);
            }
        }

        // Every restored connection, not only the first: the subscription connection may come back after the other.
        RestoreSubscriptions();
        RequestShardCheck();
    }
}
