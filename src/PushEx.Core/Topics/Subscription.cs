using PushEx.Sockets;

namespace PushEx.Topics;

/// <summary>One socket joined to one topic under one join ref: the unit of fan-out.</summary>
internal sealed class Subscription(PushSocket socket, string topic, string? joinRef, ReadOnlyMemory<byte> framePrefix, DateTimeOffset joinedAt)
{
    public PushSocket Socket { get; } = socket;

    public string Topic { get; } = topic;

    /// <summary>The ref of the <c>phx_join</c> that created this subscription; every frame for it carries this ref.</summary>
    public string? JoinRef { get; } = joinRef;

    /// <summary>The start of this subscriber's fan-out frames (its join ref, in its protocol version), encoded once at join.</summary>
    public ReadOnlyMemory<byte> FramePrefix { get; } = framePrefix;

    public DateTimeOffset JoinedAt { get; } = joinedAt;
}
