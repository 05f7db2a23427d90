namespace PushEx.Sockets;

/// <summary>One frame waiting in a socket's outbox. The bytes are immutable and may be shared by many sockets.</summary>
internal readonly record struct OutboundFrame(ReadOnlyMemory<byte> Data, bool IsBinary);
