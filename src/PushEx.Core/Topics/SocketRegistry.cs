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

    /// <summary>
    /// Holds a place for one more socket of <paramref name="socketId"/> while its upgrade completes; false when the id
    /// already has <paramref name="limit"/> sockets open or upgrading. Holding the place before the upgrade makes the
    /// limit exact: concurrent upgrades of one id cannot all see room and all get in. Every true must be followed by
    /// <see cref="EndReservation"/> once the socket is open (<see cref="Add"/>) or has failed to open.
    /// </summary>
    public bool TryReserve(string socketId, int limit)
    {
        while (true)
        {
            var group = _bySocketId.GetOrAdd(socketId, static _ => new SocketIdGroup());
            lock (group)
            {
                if (group.IsRemoved)
                {
                    continue;
                }

                if (group.Members.Count + group.Reserved >= limit)
                {
                    DropIfEmpty(socketId, group);
                    return false;
                }

                group.Reserved++;
                return true;
            }
        }
    }

    /// <summary>Gives back a place <see cref="TryReserve"/> held; the socket, if it opened, now counts in its own right.</summary>
    public void EndReservation(string socketId)
    {
        if (!_bySocketId.TryGetValue(socketId, out var group))
        {
            return;
        }

        lock (group)
        {
            group.Reserved--;
            DropIfEmpty(socketId, group);
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
            DropIfEmpty(id, group);
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

    // Called under the group's lock.
    private void DropIfEmpty(string socketId, SocketIdGroup group)
    {
        if (group.Members.Count == 0 && group.Reserved == 0)
        {
            group.IsRemoved = true;
            _bySocketId.TryRemove(new KeyValuePair<string, SocketIdGroup>(socketId, group));
        }
    }

    private sealed class SocketIdGroup
    {
        public HashSet<PushSocket> Members { get; } = [];

        /// <summary>Places held for upgrades under way (<see cref="TryReserve"/>).</summary>
        public int Reserved { get; set; }

        public bool IsRemoved { get; set; }
    }
}
