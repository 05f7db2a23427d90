using PushEx.Pipeline;
using PushEx.Topics;

namespace PushEx.Sockets;

/// <summary>
/// One frame waiting in a socket's outbox: <see cref="Prefix"/> followed by <see cref="Body"/>. Both are
/// immutable. A fan-out shares one body among all subscribers and gives each its own small prefix (the part
/// carrying its join ref), so a push is serialized once however many sockets receive it. A push frame names its
/// subscription and push, so that the writer can record what the client was actually sent (where it resumes from).
/// </summary>
internal readonly record struct OutboundFrame(ReadOnlyMemory<byte> Prefix, ReadOnlyMemory<byte> Body, bool IsBinary)
{
    /// <summary>A frame that is all one piece.</summary>
    public OutboundFrame(ReadOnlyMemory<byte> data, bool isBinary)
        : this(ReadOnlyMemory<byte>.Empty, data, isBinary)
    {
    }

    /// <summary>A pong carrying a ping's payload: it goes through the outbox so it never lands inside another frame.</summary>
    public static OutboundFrame Pong(ReadOnlyMemory<byte> payload) => new(payload, isBinary: true) { IsPong = true };

    /// <summary>A push for one subscription.</summary>
    public OutboundFrame(Subscription subscription, Push push, ReadOnlyMemory<byte> body)
        : this(subscription.FramePrefix, body, IsBinary: false)
    {
        Subscription = subscription;
        Push = push;
    }

    public int Length => Prefix.Length + Body.Length;

    /// <summary>True for a pong answering the client's ping (a transport that answers pings itself never queues one).</summary>
    public bool IsPong { get; private init; }

    /// <summary>The subscription a push frame is for; null for any other frame.</summary>
    public Subscription? Subscription { get; }

    /// <summary>The push a push frame carries; null for any other frame.</summary>
    public Push? Push { get; }

    /// <summary>Copies the whole frame, prefix then body, to <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        Prefix.Span.CopyTo(destination);
        Body.Span.CopyTo(destination[Prefix.Length..]);
    }
}
