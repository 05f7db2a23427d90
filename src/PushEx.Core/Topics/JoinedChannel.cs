namespace PushEx.Topics;

/// <summary>One joined topic of one socket on this node, as <see cref="ConnectionStatistics"/> reports it.</summary>
/// <param name="Topic">The joined topic.</param>
/// <param name="Identifier">The presence identifier of the socket that joined.</param>
/// <param name="OnlineSince">When the join succeeded.</param>
public sealed record JoinedChannel(string Topic, string Identifier, DateTimeOffset OnlineSince);
