namespace PushEx.Sockets;

/// <summary>
/// What a transport offers a <see cref="PushSocket"/>: write one frame, close with a code, abort.
/// Calls are never concurrent: the socket's <see cref="SocketOutbox"/> is the single writer.
/// </summary>
internal interface ISocketTransport
{
    /// <summary>Writes one complete frame.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> frame, bool isBinary, CancellationToken cancellationToken);

    /// <summary>Sends the close frame; the transport then ends the connection when the client answers or a timeout passes.</summary>
    ValueTask CloseAsync(SocketCloseCode code, string reason, CancellationToken cancellationToken);

    /// <summary>
    /// Drops the connection without a close handshake. A write or close still in progress must then end (fail)
    /// promptly: the outbox aborts a socket whose close cannot be written, and waits for that write to end.
    /// May be called from any thread, also while a write is in progress.
    /// </summary>
    void Abort();
}
