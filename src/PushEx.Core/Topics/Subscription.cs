using PushEx.Sockets;

namespace PushEx.Topics;

/// <summary>One socket joined to one topic under one join ref: the unit of fan-out.</summary>
internal sealed class Subscription(PushSocket socket, string topic, string? joinRef, DateTimeOffset joinedAt)
{
    public PushSocket Socket { get; } = socket;

    public string Topic { get; } = topic;

    /// <summary>The ref of the <c>phx_join</c> that created this subscription; every frame for it carries this ref.</summary>
    public string? JoinRef { get; } = joinRef;

    public DateTimeOffset JoinedAt { get; } = joinedAt;
}
