using System.Collections.Concurrent;
using PushEx.Sockets;

namespace PushEx.Topics;

/// <summary>Every open socket on this node, and the sockets of each socket id (to disconnect a user everywhere).</summary>
internal sealed class SocketRegistry
{
    private readonly ConcurrentDictionary<PushSocket, byte> _sockets = new();
    private readonly ConcurrentDictionary<string, SocketIdGroup> _bySocketId = new(StringComparer.Ordinal);
    private int _count;

    /// <summary>The number of open sockets (kept apart: the dictionary's own count takes all its locks).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// The open sockets, enumerated live: no lock is taken and nothing is copied, so walking 100 000 sockets every
    /// second (the idle sweep) costs no allocation. Sockets may come and go meanwhile.
    /// </summary>
    public IEnumerable<PushSocket> Sockets
    {
        get
        {
            foreach (var (socket, _) in _sockets)
            {
                yield return socket;
            }
        }
    }

    /// <summary>Whether the socket is still open here (not yet unregistered).</summary>
    public bool Contains(PushSocket socket) => _sockets.ContainsKey(socket);

    public void Add(PushSocket socket)
    {
        if (_sockets.TryAdd(socket, 0))
        {
            Interlocked.Increment(ref _count);
        }

        if (socket.SocketId is not { } id)
        {
            return;
        }

        while (true)
        {
            var group = _bySocketId.GetOrAdd(id, static _ => new SocketIdGroup());
            lock (group)
            {
                // A group emptied and dropped by a concurrent Remove must not be revived.
                if (!group.IsRemoved)
                {
                    group.Members.Add(socket);
                    return;
                }
            }
        }
    }

    public void Remove(PushSocket socket)
    {
        if (!_sockets.TryRemove(socket, out _))
        {
            return;
        }

        Interlocked.Decrement(ref _count);
        if (socket.SocketId is not { } id || !_bySocketId.TryGetValue(id, out var group))
        {
            return;
        }

        lock (group)
        {
            group.Members.Remove(socket);
            if (group.Members.Count == 0)
            {
                group.IsRemoved = true;
                _bySocketId.TryRemove(new KeyValuePair<string, SocketIdGroup>(id, group));
            }
        }
    }

    /// <summary>The open sockets whose socket id is <paramref name="socketId"/>.</summary>
    public PushSocket[] WithSocketId(string socketId)
    {
        if (!_bySocketId.TryGetValue(socketId, out var group))
        {
            return [];
        }

        lock (group)
        {
            return [.. group.Members];
        }
    }

    /// <summary>Closes this node's sockets with the socket id, with 1001 so their clients reconnect; returns how many.</summary>
    public int CloseBySocketId(string socketId)
    {
        var matching = WithSocketId(socketId);
        foreach (var socket in matching)
        {
            socket.Close(SocketCloseCode.GoingAway, "disconnect");
        }

        return matching.Length;
    }

    private sealed class SocketIdGroup
    {
        public HashSet<PushSocket> Members { get; } = [];

        public bool IsRemoved { get; set; }
    }
}
