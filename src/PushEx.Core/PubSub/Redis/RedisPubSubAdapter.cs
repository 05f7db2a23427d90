using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushEx.Pipeline;
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

    public async ValueTask<bool> PublishAsync(Push push, CancellationToken cancellationToken)
    {
        var local = _broadcaster.Broadcast(push);
        var message = RedisMessage.EncodePush(_node, push.Event, push.Data.Span, push.UnixMsAcceptedAt);
        var receivers = await PublishWithRetryAsync(_channels.Topic(push.Channel), message, push.UnixMsAcceptedAt, cancellationToken).ConfigureAwait(false);

        // Redis counts this node among the receivers while it is subscribed to the topic itself.
        return local > 0 || receivers > (IsSubscribedHere(push.Channel) ? 1 : 0);
    }

    public async ValueTask<int> DisconnectAsync(string socketId, CancellationToken cancellationToken)
    {
        var closed = _sockets.CloseBySocketId(socketId);
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        await PublishWithRetryAsync(_channels.Control, RedisMessage.EncodeDisconnect(_node, socketId), now, cancellationToken).ConfigureAwait(false);
        return closed;
    }

    public async ValueTask SubscribeAsync(string topic, CancellationToken cancellationToken)
    {
        TopicSubscription subscription;
        lock (_lock)
        {
            if (!_topics.TryGetValue(topic, out subscription!))
            {
                subscription = new TopicSubscription();
                _topics.Add(topic, subscription);
            }

            subscription.References++;
            subscription.PendingUnsubscribe?.Dispose();
            subscription.PendingUnsubscribe = null;
        }

        try
        {
            await subscription.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The join was abandoned (its connection went away): it holds no reference.
            Unsubscribe(topic);
            throw;
        }

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

    public void Unsubscribe(string topic)
    {
        lock (_lock)
        {
            if (!_topics.TryGetValue(topic, out var subscription) || --subscription.References > 0)
            {
                return;
            }

            // Debounced: a client that leaves and comes back (a page reload) keeps the node subscribed.
            subscription.PendingUnsubscribe = _timeProvider.CreateTimer(
                static state =>
                {
                    var (adapter, topic, subscription) = ((RedisPubSubAdapter, string, TopicSubscription))state!;
                    _ = adapter.UnsubscribeWhenUnusedAsync(topic, subscription);
                },
                (this, topic, subscription),
                _options.UnsubscribeDelay,
                Timeout.InfiniteTimeSpan);
        }
    }

    private async Task UnsubscribeWhenUnusedAsync(string topic, TopicSubscription subscription)
    {
        await subscription.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_lock)
            {
                // A join since the timer was set took the subscription back.
                if (subscription.References > 0)
                {
                    return;
                }

                _topics.Remove(topic);
            }

            if (subscription.Queue is { } queue)
            {
                subscription.Queue = null;
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Unreachable now; the server forgets the subscription with the broken connection anyway.
            Log.UnsubscribeFailed(_logger, ex);
        }
        finally
        {
            subscription.Gate.Release();
        }
    }

    private async Task TrySubscribeTopicAsync(string topic, TopicSubscription subscription)
    {
        try
        {
            var queue = await _connection!.GetSubscriber().SubscribeAsync(_channels.Topic(topic)).WaitAsync(SubscribeTimeout).ConfigureAwait(false);
            queue.OnMessage(message => OnTopicMessage(topic, message));
            subscription.Queue = queue;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The backplane went away meanwhile: the subscription is made when it comes back.
            Log.SubscribeFailed(_logger, ex);
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

    private async Task<long> PublishWithRetryAsync(RedisChannel channel, byte[] message, long unixMsAcceptedAt, CancellationToken cancellationToken)
    {
        var deadline = unixMsAcceptedAt + (long)_options.PublishRetryTimeout.TotalMilliseconds;
        while (true)
        {
            if (_available)
            {
                try
                {
                    return await _connection!.GetSubscriber().PublishAsync(channel, message).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    if (_timeProvider.GetUtcNow().ToUnixTimeMilliseconds() >= deadline)
                    {
                        Interlocked.Increment(ref _failedWhileUnavailable);
                        throw new BackplaneUnavailableException("Redis did not take the message before its retry deadline.", ex);
                    }
                }
            }
            else if (_timeProvider.GetUtcNow().ToUnixTimeMilliseconds() >= deadline)
            {
                Interlocked.Increment(ref _failedWhileUnavailable);
                throw new BackplaneUnavailableException("Redis stayed unreachable past the message's retry deadline.");
            }

            await Task.Delay(RetryInterval, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private void OnTopicMessage(string topic, ChannelMessage message)
    {
        try
        {
            if (!RedisMessage.TryDecode((ReadOnlyMemory<byte>)message.Message, out var decoded) || decoded.Value.Kind != RedisMessageKind.Push)
            {
                Log.ForeignMessage(_logger, message.Channel.ToString());
                return;
            }

            if (decoded.Value.Node == _node)
            {
                return;
            }

            var received = decoded.Value;
            _broadcaster.Broadcast(new Push(topic, received.Event, received.Data, received.UnixMsAcceptedAt));
        }
        catch (Exception ex)
        {
            // A subscription handler must survive anything; one bad message must not stop the topic.
            Log.HandlerFailed(_logger, message.Channel.ToString(), ex);
        }
    }

    private void OnControlMessage(ChannelMessage message)
    {
        try
        {
            if (!RedisMessage.TryDecode((ReadOnlyMemory<byte>)message.Message, out var decoded) || decoded.Value.Kind != RedisMessageKind.Disconnect)
            {
                Log.ForeignMessage(_logger, message.Channel.ToString());
                return;
            }

            if (decoded.Value.Node != _node)
            {
                _sockets.CloseBySocketId(decoded.Value.SocketId);
            }
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, message.Channel.ToString(), ex);
        }
    }

    private bool IsSubscribedHere(string topic)
    {
        lock (_lock)
        {
            return _topics.TryGetValue(topic, out var subscription) && subscription.Queue is not null;
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

    private sealed class TopicSubscription
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public int References { get; set; }

        public ChannelMessageQueue? Queue { get; set; }

        public ITimer? PendingUnsubscribe { get; set; }
    }
}
