namespace PushEx.PubSub;

/// <summary>
/// The socket counts of a cluster's nodes, shared through the backplane so that a node holding more than its share
/// can tell (the rebalancer). Calls never throw for an unreachable backplane: they report it in their result.
/// </summary>
internal interface IClusterLoad
{
    /// <summary>Records this node's socket count, with the time it was taken; false when it could not be recorded.</summary>
    ValueTask<bool> ReportAsync(int sockets, CancellationToken cancellationToken);

    /// <summary>
    /// The counts the other nodes reported within <paramref name="maxAge"/>; older ones are of nodes that are gone, and
    /// are removed. Null when the counts could not be read.
    /// </summary>
    ValueTask<IReadOnlyList<NodeLoad>?> ReadOthersAsync(TimeSpan maxAge, CancellationToken cancellationToken);

    /// <summary>Removes this node's count, so that the others stop counting it (it is draining or stopping).</summary>
    ValueTask LeaveAsync(CancellationToken cancellationToken);
}
