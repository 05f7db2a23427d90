using System.Collections.Concurrent;
using PushEx.Sockets;

namespace PushEx.Topics;

/// <summary>Every open socket on this node, and the sockets of each socket id (to disconnect a user everywhere).</summary>
internal sealed class SocketRegistry
{
    private readonly ConcurrentDictionary<PushSocket, byte> _sockets = new();
    private readonly ConcurrentDictionary<string, SocketIdGroup> _bySocketId = new(StringComparer.Ordinal);

    /// <summary>The number of open sockets.</summary>
    public int Count => _sockets.Count;

    /// <summary>The open sockets (a live view; sockets may come and go while it is enumerated).</summary>
    public ICollection<PushSocket> Sockets => _sockets.Keys;

    public void Add(PushSocket socket)
    {
        _sockets.TryAdd(socket, 0);
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
        if (!_sockets.TryRemove(socket, out _) || socket.SocketId is not { } id || !_bySocketId.TryGetValue(id, out var group))
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
