using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushEx.Topics;
using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

/// <summary>
/// The cluster backplane over Redis pub/sub. A node subscribes to a topic's channel only while it has local
/// subscribers of the topic (DESIGN.md, difference 5), so a publish reaches exactly the nodes that listen, and
/// Redis's receiver count tells the pipeline whether anyone listened: no replicated tracker is needed.
/// A push is delivered to this node's own subscribers directly; the echo Redis sends back is recognised by the
/// node id and skipped. Pushes to one topic go out in order on one connection and are handled in order on each node.
/// </summary>
internal sealed partial class RedisPubSubAdapter : IPubSubAdapter, IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan SubscribeTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(250);

    private readonly Guid _node = Guid.NewGuid();
    private readonly RedisOptions _options;
    private readonly RedisChannels _channels;
    private readonly LocalBroadcaster _broadcaster;
    private readonly SocketRegistry _sockets;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TopicSubscription> _topics = new(StringComparer.Ordinal);
    private IConnectionMultiplexer? _connection;
    private bool _ownsConnection;
    private ChannelMessageQueue? _control;
    private volatile bool _available;
    private int _failedWhileUnavailable;

    public RedisPubSubAdapter(
        IOptions<RedisOptions> options,
        LocalBroadcaster broadcaster,
        SocketRegistry sockets,
        TimeProvider timeProvider,
        ILogger<RedisPubSubAdapter> logger)
    {
        _options = options.Value;
        _channels = new RedisChannels(_options.ChannelPrefix);
        _broadcaster = broadcaster;
        _sockets = sockets;
        _timeProvider = timeProvider;
        _logger = logger;
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
        _available = _connection.IsConnected;
        if (_available)
        {
            Log.Connected(_logger, _node);
            await SubscribeControlAsync().ConfigureAwait(false);
        }
        else
        {
            Log.Unavailable(_logger);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_connection is null)
        {
            return;
        }

        _connection.ConnectionFailed -= OnConnectionFailed;
        _connection.ConnectionRestored -= OnConnectionRestored;
        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task SubscribeControlAsync()
    {
        try
        {
            _control ??= await _connection!.GetSubscriber().SubscribeAsync(_channels.Control).WaitAsync(SubscribeTimeout).ConfigureAwait(false);
            _control.OnMessage(OnControlMessage);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.SubscribeFailed(_logger, ex);
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (_available)
        {
            _available = false;
            Log.Lost(_logger, e.FailureType, e.Exception);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (_available || _connection?.IsConnected != true)
        {
            return;
        }

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
        _ = RestoreSubscriptionsAsync();
    }

    // Redis forgot this node's subscriptions with the broken connection; the multiplexer renews the ones it
    // knows, and this makes those that could not be made while Redis was down.
    private async Task RestoreSubscriptionsAsync()
    {
        await SubscribeControlAsync().ConfigureAwait(false);
        KeyValuePair<string, TopicSubscription>[] wanted;
        lock (_lock)
        {
            wanted = [.. _topics.Where(entry => entry.Value.References > 0)];
        }

        foreach (var (topic, subscription) in wanted)
        {
            await subscription.Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (subscription.Queue is null && _available)
                {
                    await TrySubscribeTopicAsync(topic, subscription).ConfigureAwait(false);
                }
            }
            finally
            {
                subscription.Gate.Release();
            }
        }
    }
}
