using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

/// <summary>
/// Which channels this node listens to: the control channel always, a topic's channel while, and only while, the node
/// has local subscribers of the topic. Every Redis operation on a channel runs under that channel's gate, on the one
/// <see cref="ChannelSubscription"/> that stands for it until the channel is unsubscribed: a join during the
/// unsubscribe waits for it and subscribes again, so a channel never has two queues (every push twice) nor a queue
/// that nobody releases.
/// </summary>
internal sealed partial class RedisPubSubAdapter
{
    public async ValueTask SubscribeAsync(string topic, CancellationToken cancellationToken)
    {
        ChannelSubscription subscription;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            if (!_topics.TryGetValue(topic, out subscription!))
            {
                subscription = new ChannelSubscription(_channels.Topic(topic), topic);
                _topics.Add(topic, subscription);
            }

            subscription.References++;
            subscription.CancelPendingUnsubscribe();
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
            await SubscribeAsync(subscription).ConfigureAwait(false);
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
            // A topic with references is never replaced in the table, so the name finds the subscription that holds this one.
            if (_disposed || !_topics.TryGetValue(topic, out var subscription) || subscription.References == 0 || --subscription.References > 0)
            {
                return;
            }

            // Debounced: a client that leaves and comes back (a page reload) keeps the node subscribed.
            var generation = subscription.CancelPendingUnsubscribe();
            subscription.PendingUnsubscribe = _timeProvider.CreateTimer(
                static state =>
                {
                    var (adapter, subscription, generation) = ((RedisPubSubAdapter, ChannelSubscription, int))state!;
                    adapter.OnUnsubscribeDue(subscription, generation);
                },
                (this, subscription, generation),
                _options.UnsubscribeDelay,
                Timeout.InfiniteTimeSpan);
        }
    }

    private bool IsSubscribedHere(string topic)
    {
        lock (_lock)
        {
            return _topics.TryGetValue(topic, out var subscription) && subscription.Queue is not null;
        }
    }

    private void OnUnsubscribeDue(ChannelSubscription subscription, int generation)
    {
        lock (_lock)
        {
            // A callback already on its way when a join, a newer timer or the disposal cancelled it does nothing.
            if (_disposed || subscription.PendingUnsubscribe is null || subscription.UnsubscribeGeneration != generation)
            {
                return;
            }

            subscription.CancelPendingUnsubscribe();
            MarkDue(subscription);
        }
    }

    // Under the subscription's gate. Subscribes unless already subscribed, or the backplane (or the topic's shard) is
    // down: then the subscription is made when it comes back. A refused or failed subscribe is retried later.
    private async Task SubscribeAsync(ChannelSubscription subscription)
    {
        lock (_lock)
        {
            // A topic whose shard has no master now is subscribed when every slot is served again (.Shards.cs).
            if (_disposed || subscription.Queue is not null || !_available || (subscription.Topic is { } topic && IsUnavailableFor(topic)))
            {
                return;
            }

            // Named now, not when the subscription was made: that may have been before the pub/sub mode was decided.
            subscription.Channel = subscription.Topic is { } name ? _channels.Topic(name) : _channels.Control;
        }

        ISubscriber? subscriber = null;
        try
        {
            subscriber = _connection!.GetSubscriber();
            var queue = await subscriber.SubscribeAsync(subscription.Channel).ConfigureAwait(false);
            queue.OnMessage(subscription.Topic is { } topic ? message => OnTopicMessage(topic, message) : OnControlMessage);
            lock (_lock)
            {
                subscription.Queue = queue;
                _retryDelay = MinRetryDelay;
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            if (ex is RedisServerException)
            {
                Log.SubscribeRefused(_logger, subscription.Channel, ex);
            }
            else
            {
                Log.SubscribeFailed(_logger, subscription.Channel, ex);
            }

            await ForgetChannelAsync(subscriber, subscription.Channel).ConfigureAwait(false);
            ScheduleRetry();
        }
    }

    // StackExchange.Redis registers a channel before the server confirms the SUBSCRIBE. One that was refused or never
    // answered would stay registered: a queue nobody reads, buffering every message of the channel, renewed on every
    // reconnect. This node has at most one queue per channel, so the whole channel goes.
    private async Task ForgetChannelAsync(ISubscriber? subscriber, RedisChannel channel)
    {
        if (subscriber is null)
        {
            return;
        }

        try
        {
            await subscriber.UnsubscribeAsync(channel).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // The local registration is gone already; the server forgets the rest with the broken connection.
            Log.UnsubscribeFailed(_logger, ex);
        }
    }

    // Under the subscription's gate.
    private async Task ReleaseQueueAsync(ChannelSubscription subscription)
    {
        ChannelMessageQueue? queue;
        lock (_lock)
        {
            queue = subscription.Queue;
            subscription.Queue = null;
        }

        if (queue is null)
        {
            return;
        }

        try
        {
            await queue.UnsubscribeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Unreachable now; the server forgets the subscription with the broken connection anyway.
            Log.UnsubscribeFailed(_logger, ex);
        }
    }

    /// <summary>One Redis channel this node listens to, or wants to.</summary>
    private sealed class ChannelSubscription(RedisChannel channel, string? topic)
    {
        /// <summary>Set under the adapter's lock and the gate, before each subscribe.</summary>
        public RedisChannel Channel { get; set; } = channel;

        /// <summary>The topic; null for the control channel.</summary>
        public string? Topic { get; } = topic;

        /// <summary>Held during every Redis operation on the channel, so they run one at a time and in order.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        // The rest is read and written under the adapter's lock.
        public int References { get; set; }

        public ChannelMessageQueue? Queue { get; set; }

        public ITimer? PendingUnsubscribe { get; set; }

        /// <summary>Tells a timer callback already on its way whether its timer is still the current one.</summary>
        public int UnsubscribeGeneration { get; private set; }

        /// <summary>Queued for the maintenance loop.</summary>
        public bool IsDue { get; set; }

        /// <summary>Taken out of the table for good; a later join of the topic makes a new one.</summary>
        public bool IsRemoved { get; set; }

        /// <summary>Local subscribers hold it, or their last one left less than the unsubscribe delay ago.</summary>
        public bool IsWanted => References > 0 || PendingUnsubscribe is not null;

        /// <summary>Cancels a pending unsubscribe; returns the generation a new timer takes.</summary>
        public int CancelPendingUnsubscribe()
        {
            PendingUnsubscribe?.Dispose();
            PendingUnsubscribe = null;
            return ++UnsubscribeGeneration;
        }
    }
}
