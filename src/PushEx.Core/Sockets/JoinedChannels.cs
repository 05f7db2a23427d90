using PushEx.Topics;

namespace PushEx.Sockets;

/// <summary>
/// The channels one socket has joined, by topic. Most sockets join exactly one, so that one is a field and a
/// dictionary is made only for a second: an idle socket's memory is mostly what it keeps per channel.
/// Only the socket's frame handler changes it (the transport never runs two frames at once), so it reads without the
/// lock; changes and <see cref="Snapshot"/> take it, because the outbox's writer snapshots from its own thread. The
/// lock is this object itself: only its socket holds it, so nothing else can take it, and it costs no lock object.
/// </summary>
internal sealed class JoinedChannels
{
    private Subscription? _single;
    private Dictionary<string, Subscription>? _many;

    public int Count => _many?.Count ?? (_single is null ? 0 : 1);

    public bool TryGetValue(string topic, out Subscription subscription)
    {
        if (_many is { } many)
        {
            return many.TryGetValue(topic, out subscription!);
        }

        subscription = _single!;
        return _single is not null && _single.Topic == topic;
    }

    /// <summary>Adds the subscription, or replaces the one of its topic.</summary>
    public void Set(Subscription subscription)
    {
        lock (this)
        {
            if (_many is { } many)
            {
                many[subscription.Topic] = subscription;
            }
            else if (_single is null || _single.Topic == subscription.Topic)
            {
                _single = subscription;
            }
            else
            {
                _many = new Dictionary<string, Subscription>(StringComparer.Ordinal)
                {
                    [_single.Topic] = _single,
                    [subscription.Topic] = subscription,
                };
                _single = null;
            }
        }
    }

    /// <summary>Removes the topic's subscription; null when it was not joined.</summary>
    public Subscription? Remove(string topic)
    {
        lock (this)
        {
            if (_many is { } many)
            {
                return many.Remove(topic, out var removed) ? removed : null;
            }

            if (_single is { } single && single.Topic == topic)
            {
                _single = null;
                return single;
            }

            return null;
        }
    }

    public Subscription[] Snapshot()
    {
        lock (this)
        {
            return _many is { } many ? [.. many.Values] : _single is { } single ? [single] : [];
        }
    }
}
