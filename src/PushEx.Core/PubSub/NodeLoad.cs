namespace PushEx.PubSub;

/// <summary>One node's socket count as it last reported it.</summary>
/// <param name="Node">The node's id (the backplane's node id).</param>
/// <param name="Sockets">Its open sockets when it reported.</param>
internal readonly record struct NodeLoad(string Node, int Sockets);
