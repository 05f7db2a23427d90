namespace PushEx.History;

/// <summary>
/// Where each topic stood for a socket id when its socket ended, on one node, for <see cref="HistoryOptions.Window"/>:
/// a socket that comes back with the same socket id within the window resumes from there. At most
/// <see cref="HistoryPolicy.MaxPositions"/> are remembered; past that the oldest go first.
/// </summary>
/// <remarks>
/// Entries form one list in the order they were saved, so the expired ones are dropped from its head on the next save
/// or find, with no timer; a later save for the same socket id and topic moves its entry to the tail.
/// </remarks>
internal sealed class InMemoryResumePositions(HistoryPolicy policy, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string SocketId, string Topic), LinkedListNode<Saved>> _saved = [];
    private readonly LinkedList<Saved> _oldestFirst = new();

    /// <summary>How many positions are remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _saved.Count;
            }
        }
    }

    /// <summary>Records where each topic stood for <paramref name="socketId"/>; replaces an earlier record of the same topic.</summary>
    public void Save(string socketId, IReadOnlyList<KeyValuePair<string, StreamPosition>> positions)
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            DropExpired(now);
            foreach (var (topic, position) in positions)
            {
                var key = (socketId, topic);
                if (_saved.TryGetValue(key, out var node))
                {
                    _oldestFirst.Remove(node);
                    node.Value = new Saved(key, position, now);
                    _oldestFirst.AddLast(node);
                }
                else
                {
                    _saved.Add(key, _oldestFirst.AddLast(new Saved(key, position, now)));
                }
            }

            while (_saved.Count > policy.MaxPositions)
            {
                Remove(_oldestFirst.First!);
            }
        }
    }

    /// <summary>The position recorded for <paramref name="socketId"/> and <paramref name="topic"/> within the window, if any.</summary>
    public StreamPosition? Find(string socketId, string topic)
    {
        lock (_lock)
        {
            DropExpired(time.GetTimestamp());
            return _saved.TryGetValue((socketId, topic), out var node) ? node.Value.Position : null;
        }
    }

    private void DropExpired(long now)
    {
        while (_oldestFirst.First is { } oldest && time.GetElapsedTime(oldest.Value.SavedAt, now) >= policy.Window)
        {
            Remove(oldest);
        }
    }

    private void Remove(LinkedListNode<Saved> node)
    {
        _oldestFirst.Remove(node);
        _saved.Remove(node.Value.Key);
    }

    private readonly record struct Saved((string SocketId, string Topic) Key, StreamPosition Position, long SavedAt);
}
