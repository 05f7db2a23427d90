namespace PushEx.Sockets;

/// <summary>
/// One frame waiting in a socket's outbox: <see cref="Prefix"/> followed by <see cref="Body"/>. Both are
/// immutable. A fan-out shares one body among all subscribers and gives each its own small prefix (the part
/// carrying its join ref), so a push is serialized once however many sockets receive it.
/// </summary>
internal readonly record struct OutboundFrame(ReadOnlyMemory<byte> Prefix, ReadOnlyMemory<byte> Body, bool IsBinary)
{
    /// <summary>A frame that is all one piece.</summary>
    public OutboundFrame(ReadOnlyMemory<byte> data, bool isBinary)
        : this(ReadOnlyMemory<byte>.Empty, data, isBinary)
    {
    }

    public int Length => Prefix.Length + Body.Length;
}
