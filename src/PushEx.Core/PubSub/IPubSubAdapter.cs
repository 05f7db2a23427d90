using PushEx.Pipeline;

namespace PushEx.PubSub;

/// <summary>
/// Carries pushes and disconnects to every node: in-memory for one node (the default), Redis for a cluster.
/// An adapter delivers to this node's own subscribers itself (through <c>LocalBroadcaster</c>), without a
/// round trip through the backplane.
/// </summary>
internal interface IPubSubAdapter
{
    /// <summary>
    /// Delivers the push to the subscribers of its channel on every node. Returns false when no node listens
    /// to the channel, so the pipeline can record "no listeners" as the original does.
    /// </summary>
    ValueTask<bool> PublishAsync(Push push, CancellationToken cancellationToken);

    /// <summary>Closes the sockets with this socket id on every node; returns how many this node closed.</summary>
    ValueTask<int> DisconnectAsync(string socketId, CancellationToken cancellationToken);
}
