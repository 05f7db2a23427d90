using System.Collections.Concurrent;

namespace PushEx.Topics;

/// <summary>
/// The local subscriptions of every topic on this node. Joins and leaves take the topic's lock; so does a
/// fan-out, so a push sees a subscription either entirely before or entirely after a join, and a join reply
/// queued under the lock always reaches the client before any push of that topic.
/// </summary>
internal sealed class TopicRegistry
{
    private readonly ConcurrentDictionary<string, TopicSubscribers> _topics = new(StringComparer.Ordinal);
    private int _channelCount;

    /// <summary>The number of subscriptions on this node.</summary>
    public int ChannelCount => Volatile.Read(ref _channelCount);

    /// <summary>The number of topics with at least one local subscription.</summary>
    public int TopicCount => _topics.Count;

    /// <summary>
    /// Adds a subscription and, still under the topic's lock, runs <paramref name="whileLocked"/> (the join reply),
    /// so that no push of the topic can be queued to the socket before it.
    /// </summary>
    public void Add<TState>(Subscription subscription, Action<TState> whileLocked, TState state)
    {
        while (true)
        {
            var subscribers = _topics.GetOrAdd(subscription.Topic, static _ => new TopicSubscribers());
            lock (subscribers)
            {
                if (subscribers.IsRemoved)
                {
                    continue;
                }

                subscribers.Members.Add(subscription);
                Interlocked.Increment(ref _channelCount);
                whileLocked(state);
                return;
            }
        }
    }

    /// <summary>Removes a subscription; a topic left without subscriptions is forgotten.</summary>
    public bool Remove(Subscription subscription)
    {
        if (!_topics.TryGetValue(subscription.Topic, out var subscribers))
        {
            return false;
        }

        lock (subscribers)
        {
            if (!subscribers.Members.Remove(subscription))
            {
                return false;
            }

            Interlocked.Decrement(ref _channelCount);
            if (subscribers.Members.Count == 0)
            {
                subscribers.IsRemoved = true;
                _topics.TryRemove(new KeyValuePair<string, TopicSubscribers>(subscription.Topic, subscribers));
            }

            return true;
        }
    }

    /// <summary>True when the topic has a local subscription.</summary>
    public bool HasSubscribers(string topic) => _topics.ContainsKey(topic);

    /// <summary>Calls <paramref name="visit"/> for every subscription of <paramref name="topic"/>, under the topic's lock; returns how many.</summary>
    public int ForEach<TState>(string topic, Action<Subscription, TState> visit, TState state)
    {
        if (!_topics.TryGetValue(topic, out var subscribers))
        {
            return 0;
        }

        lock (subscribers)
        {
            foreach (var subscription in subscribers.Members)
            {
                visit(subscription, state);
            }

            return subscribers.Members.Count;
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> under the lock of <paramref name="subscription"/>'s topic, so no push of the topic
    /// is handed out meanwhile; false (and nothing run) when the subscription is no longer registered.
    /// </summary>
    public bool WithLock<TState>(Subscription subscription, Action<Subscription, TState> action, TState state)
    {
        if (!_topics.TryGetValue(subscription.Topic, out var subscribers))
        {
            return false;
        }

        lock (subscribers)
        {
            if (!subscribers.Members.Contains(subscription))
            {
                return false;
            }

            action(subscription, state);
            return true;
        }
    }

    /// <summary>A copy of every subscription, for statistics.</summary>
    public List<Subscription> Snapshot()
    {
        var all = new List<Subscription>();
        foreach (var (_, subscribers) in _topics)
        {
            lock (subscribers)
            {
                all.AddRange(subscribers.Members);
            }
        }

        return all;
    }

    private sealed class TopicSubscribers
    {
        public HashSet<Subscription> Members { get; } = [];

        public bool IsRemoved { get; set; }
    }
}
