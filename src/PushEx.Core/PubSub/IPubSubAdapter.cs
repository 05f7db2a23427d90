using PushEx.History;
using PushEx.Pipeline;

namespace PushEx.PubSub;

/// <summary>
/// Carries pushes and disconnects to every node: in-memory for one node (the default), Redis for a cluster.
/// An adapter delivers to this node's own subscribers itself (through <c>LocalBroadcaster</c>), never twice; without a
/// round trip through the backplane, except where a topic's history needs one order on every node (Redis delivers
/// such a push to its own node from the channel, in the order Redis gave it its offset).
/// </summary>
internal interface IPubSubAdapter
{
    /// <summary>False while the backplane is unreachable: readiness fails and new pushes are refused.</summary>
    bool IsAvailable { get; }

    /// <summary>
    /// True while part of the backplane is unreachable and the rest works (a Redis Cluster shard without a master):
    /// readiness reports it degraded, and pushes to the topics of that part are refused.
    /// </summary>
    bool IsDegraded { get; }

    /// <summary>True while the part of the backplane that carries <paramref name="topic"/> is unreachable.</summary>
    bool IsUnavailableFor(string topic);

    /// <summary>
    /// Delivers the push to the subscribers of its channel on every node. Returns false when no node listens
    /// to the channel, so the pipeline can record "no listeners" as the original does. When the topic keeps history,
    /// the push is given its <see cref="Push.Position"/> and kept, in one step with the delivery, so offsets, history
    /// and every node's delivery agree on one order; a push nobody listens to is kept all the same.
    /// </summary>
    /// <exception cref="BackplaneUnavailableException">The backplane stayed unreachable past the push's retry deadline.</exception>
    ValueTask<bool> PublishAsync(Push push, CancellationToken cancellationToken);

    /// <summary>Closes the sockets with this socket id on every node; returns how many this node closed.</summary>
    ValueTask<int> DisconnectAsync(string socketId, CancellationToken cancellationToken);

    /// <summary>
    /// A local subscription of <paramref name="topic"/> begins. Completes once this node receives the topic's pushes
    /// from every node, so a join reply sent afterwards is never followed by a missed push (or at once while the
    /// backplane is down; the subscription is then made when it comes back).
    /// </summary>
    ValueTask SubscribeAsync(string topic, CancellationToken cancellationToken);

    /// <summary>A local subscription of <paramref name="topic"/> ended (one call per <see cref="SubscribeAsync"/>).</summary>
    void Unsubscribe(string topic);

    /// <summary>
    /// Reads the pushes of <paramref name="topic"/> after <paramref name="afterOffset"/> (none when it is
    /// <see cref="long.MaxValue"/>: only the topic's position is wanted), and the topic's position now.
    /// </summary>
    ValueTask<HistoryRead> ReadHistoryAsync(string topic, long afterOffset, CancellationToken cancellationToken);

    /// <summary>
    /// Records, for the length of the history window and where every node can find it, the position each topic had
    /// reached for a socket with <paramref name="socketId"/> when it ended; a later one for the same topic replaces it.
    /// </summary>
    ValueTask SaveResumePositionsAsync(string socketId, IReadOnlyList<KeyValuePair<string, StreamPosition>> positions, CancellationToken cancellationToken);

    /// <summary>The position recorded for <paramref name="socketId"/> and <paramref name="topic"/> within the window, if any.</summary>
    ValueTask<StreamPosition?> FindResumePositionAsync(string socketId, string topic, CancellationToken cancellationToken);
}
