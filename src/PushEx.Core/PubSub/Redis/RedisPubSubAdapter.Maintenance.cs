namespace PushEx.PubSub.Redis;

/// <summary>
/// The subscription work no caller waits for: debounced unsubscribes, the restore after an outage, retries of
/// subscriptions that failed. One loop does it, a channel at a time under the channel's gate, and disposal waits for it.
/// </summary>
internal sealed partial class RedisPubSubAdapter
{
    private static readonly TimeSpan MinRetryDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    // Under _lock. A subscription is queued at most once at a time, so the queue never outgrows the table.
    private void MarkDue(ChannelSubscription subscription)
    {
        if (!subscription.IsDue)
        {
            subscription.IsDue = true;
            _due.Writer.TryWrite(subscription);
        }
    }

    // Redis forgot this node's subscriptions with the broken connection; the multiplexer renews those it knows, and
    // this makes the ones that could not be made meanwhile.
    private void RestoreSubscriptions()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            if (_control.Queue is null)
            {
                MarkDue(_control);
            }

            foreach (var subscription in _topics.Values)
            {
                if (subscription.IsWanted && subscription.Queue is null)
                {
                    MarkDue(subscription);
                }
            }
        }
    }

    // After a failed subscribe, while the backplane looks available (so no restore is coming): retried with a
    // doubling delay, so a Redis that refuses (an ACL without the channel) is not hammered.
    private void ScheduleRetry()
    {
        lock (_lock)
        {
            if (_disposed || _retryTimer is not null)
            {
                return;
            }

            _retryTimer = _timeProvider.CreateTimer(static state => ((RedisPubSubAdapter)state!).OnRetryDue(), this, _retryDelay, Timeout.InfiniteTimeSpan);
            _retryDelay = TimeSpan.FromTicks(Math.Min(_retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    private void OnRetryDue()
    {
        lock (_lock)
        {
            _retryTimer?.Dispose();
            _retryTimer = null;
        }

        RestoreSubscriptions();
    }

    private async Task MaintainAsync()
    {
        await foreach (var subscription in _due.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            lock (_lock)
            {
                subscription.IsDue = false;
            }

            await subscription.Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                await ReconcileAsync(subscription).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The loop serves every channel; one channel's surprise must not stop it.
                Log.MaintenanceFailed(_logger, subscription.Channel, ex);
            }
            finally
            {
                subscription.Gate.Release();
            }
        }
    }

    // Under the subscription's gate: makes Redis match what the node wants of the channel now.
    private async Task ReconcileAsync(ChannelSubscription subscription)
    {
        bool wanted;
        lock (_lock)
        {
            if (_disposed || subscription.IsRemoved)
            {
                return;
            }

            wanted = subscription.IsWanted;
        }

        if (wanted)
        {
            await SubscribeAsync(subscription).ConfigureAwait(false);
            return;
        }

        await ReleaseQueueAsync(subscription).ConfigureAwait(false);
        lock (_lock)
        {
            // A join during the unsubscribe keeps the subscription; it subscribes again once it holds the gate.
            if (!subscription.IsWanted && subscription.Topic is { } topic)
            {
                _topics.Remove(topic);
                subscription.IsRemoved = true;
            }
        }
    }
}
