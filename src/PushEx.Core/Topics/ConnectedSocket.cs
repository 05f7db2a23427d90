namespace PushEx.Topics;

/// <summary>One open socket on this node, as <see cref="ConnectionStatistics"/> reports it.</summary>
/// <param name="Identifier">The socket handler's presence identifier for the connection.</param>
/// <param name="SocketId">The socket id, or null for an anonymous socket.</param>
/// <param name="OnlineSince">When the socket opened.</param>
public sealed record ConnectedSocket(string Identifier, string? SocketId, DateTimeOffset OnlineSince);
