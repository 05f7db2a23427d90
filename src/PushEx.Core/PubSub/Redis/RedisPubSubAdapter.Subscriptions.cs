using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

/// <summary>Which topic channels this node listens to: while, and only while, it has local subscribers of the topic.</summary>
internal sealed partial class RedisPubSubAdapter
{
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

    private bool IsSubscribedHere(string topic)
    {
        lock (_lock)
        {
            return _topics.TryGetValue(topic, out var subscription) && subscription.Queue is not null;
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
