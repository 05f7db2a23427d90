namespace PushEx.Topics;

/// <summary>
/// Who is connected to this node (the original's <c>connected_socket_count</c>, <c>connected_channel_count</c> and
/// tracker state). Resolve it from dependency injection.
/// </summary>
public sealed class ConnectionStatistics
{
    private readonly SocketRegistry _sockets;
    private readonly TopicRegistry _topics;

    internal ConnectionStatistics(SocketRegistry sockets, TopicRegistry topics)
    {
        _sockets = sockets;
        _topics = topics;
    }

    /// <summary>The number of open sockets on this node.</summary>
    public int SocketCount => _sockets.Count;

    /// <summary>The number of joined channels (socket and topic pairs) on this node.</summary>
    public int ChannelCount => _topics.ChannelCount;

    /// <summary>A snapshot of the open sockets.</summary>
    public IReadOnlyList<ConnectedSocket> GetSockets() =>
        [.. _sockets.Sockets.Select(socket => new ConnectedSocket(socket.PresenceIdentifier, socket.SocketId, socket.ConnectedAt))];

    /// <summary>A snapshot of the joined channels.</summary>
    public IReadOnlyList<JoinedChannel> GetChannels() =>
        [.. _topics.Snapshot().Select(subscription => new JoinedChannel(subscription.Topic, subscription.Socket.PresenceIdentifier, subscription.JoinedAt))];
}
