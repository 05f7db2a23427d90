namespace PushEx.Sockets;

/// <summary>
/// What a transport offers a <see cref="PushSocket"/>: write frames, flush them, close with a code, abort.
/// Calls are never concurrent: the socket's <see cref="SocketOutbox"/> is the single writer.
/// </summary>
internal interface ISocketTransport
{
    /// <summary>
    /// True when a write and a flush complete at once unless the client is behind (they only copy into the
    /// connection's buffer), so the outbox may write on the thread that queued the frame instead of a pool thread.
    /// </summary>
    bool WritesInline => false;

    /// <summary>Writes one complete frame; it may wait in the transport's buffer until <see cref="FlushAsync"/>.</summary>
    ValueTask SendAsync(OutboundFrame frame, CancellationToken cancellationToken);

    /// <summary>Sends what <see cref="SendAsync"/> buffered: the outbox calls it once per batch of frames.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Sends the close frame; the transport then ends the connection when the client answers or a timeout passes.</summary>
    ValueTask CloseAsync(SocketCloseCode code, string reason, CancellationToken cancellationToken);

    /// <summary>
    /// Drops the connection without a close handshake. A write or close still in progress must then end (fail)
    /// promptly: the outbox aborts a socket whose close cannot be written, and waits for that write to end.
    /// May be called from any thread, also while a write is in progress.
    /// </summary>
    void Abort();
}
