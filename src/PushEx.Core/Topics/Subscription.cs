using PushEx.History;
using PushEx.Pipeline;
using PushEx.Sockets;

namespace PushEx.Topics;

/// <summary>One socket joined to one topic under one join ref: the unit of fan-out.</summary>
internal sealed class Subscription(PushSocket socket, string topic, string? joinRef, ReadOnlyMemory<byte> framePrefix, DateTimeOffset joinedAt)
{
    /// <summary>The most pushes held for a subscription while its join reads the topic's history (one round trip).</summary>
    internal const int MaxHeldPushes = 10_000;

    // The last push written to the client; set by the socket's single writer, read when the socket has ended.
    private Push? _lastWritten;

    public PushSocket Socket { get; } = socket;

    public string Topic { get; } = topic;

    /// <summary>The ref of the <c>phx_join</c> that created this subscription; every frame for it carries this ref.</summary>
    public string? JoinRef { get; } = joinRef;

    /// <summary>The start of this subscriber's fan-out frames (its join ref, in its protocol version), encoded once at join.</summary>
    public ReadOnlyMemory<byte> FramePrefix { get; } = framePrefix;

    public DateTimeOffset JoinedAt { get; } = joinedAt;

    /// <summary>
    /// Pushes that arrived while the join was reading the topic's history, to be delivered after it, merged by offset;
    /// null once the subscription is live. Read and written under the topic's lock.
    /// </summary>
    public List<Push>? Held { get; set; }

    /// <summary>The topic's position when the subscription went live (after any recovery); null for a topic without history.</summary>
    public StreamPosition? StartPosition { get; set; }

    /// <summary>
    /// Where the recovery's replay ended, until a later push arrives. With Redis the history read can return a push
    /// before the node's pub/sub connection delivers it, so it may still arrive live after the replay sent it.
    /// </summary>
    public StreamPosition? ReplayedUpTo { get; set; }

    /// <summary>True for a push the replay already sent. Under the topic's lock, in the order pushes arrive.</summary>
    public bool WasReplayed(Push push)
    {
        if (ReplayedUpTo is not { } replayed)
        {
            return false;
        }

        if (push.Position is { } position && position.Epoch == replayed.Epoch && position.Offset <= replayed.Offset)
        {
            return true;
        }

        // Pushes arrive in offset order: from the first one past the replay on, none was replayed.
        ReplayedUpTo = null;
        return false;
    }

    /// <summary>
    /// Where the client stands in the topic's history: the position of the last push written to it, or where it
    /// started when nothing was written since. What a reconnecting client of the same socket id resumes from.
    /// </summary>
    public StreamPosition? ResumePosition => Volatile.Read(ref _lastWritten)?.Position ?? StartPosition;

    /// <summary>Holds a push while the join reads the history; a join that cannot keep up is closed as a slow consumer.</summary>
    public void Hold(Push push)
    {
        if (Held!.Count < MaxHeldPushes)
        {
            Held.Add(push);
        }
        else
        {
            Socket.Close(SocketCloseCode.TryAgainLater, "send queue overflow");
        }
    }

    /// <summary>Called by the socket's writer once a push frame of this subscription was written.</summary>
    public void MarkWritten(Push push) => Volatile.Write(ref _lastWritten, push);
}
