using PushEx.Sockets;

namespace PushEx.AspNetCore.Sockets;

/// <summary>
/// Wraps an upgraded connection's stream and tells the socket whenever client bytes arrive. The WebSocket
/// implementation answers pings itself and never shows them to us, yet a ping is client traffic that must
/// keep the socket from idling out (PROTOCOL.md §7.3, §12 #57); seeing the raw bytes covers pings, pongs and frames alike.
/// It also keeps anything from being written after the server's close frame (RFC 6455 §5.5.1). .NET's WebSocket sends
/// a close by itself when a client frame breaks the protocol (1002) or a text is not UTF-8 (1007), from inside a
/// receive, while our outbox may be sending: its send checks the WebSocket's state before waiting for the send lock
/// the close holds, so a data frame that passed the check would go out right after the close. The WebSocket writes
/// each frame with one write, header first, so a write whose first byte has the close opcode is the close frame.
/// </summary>
internal sealed class ClientActivityStream(Stream inner) : Stream
{
    private const int CloseOpcode = 0x8;

    private volatile bool _closeFrameSent;

    /// <summary>The socket to notify; set once the socket exists, before the first frame is read.</summary>
    public PushSocket? Socket { get; set; }

    /// <summary>True once the server's close frame is being written or was written, whoever sent it.</summary>
    public bool CloseFrameSent => _closeFrameSent;

    /// <summary>The code of the server's close frame, once <see cref="CloseFrameSent"/>; null when it carried none.</summary>
    public ushort? CloseCode { get; private set; }

    public override bool CanRead => inner.CanRead;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read > 0)
        {
            Socket?.MarkActivity();
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_closeFrameSent)
        {
            // The failed send is not counted as written, so a reconnect's recovery still replays its push.
            return ValueTask.FromException(new IOException("The server's close frame has been written; nothing may follow it."));
        }

        if (!buffer.IsEmpty && (buffer.Span[0] & 0x0F) == CloseOpcode)
        {
            // The WebSocket sends one frame at a time, so no other write runs beside this one.
            CloseCode = ReadCloseCode(buffer.Span);
            _closeFrameSent = true;
        }

        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    // A server frame is unmasked and a close payload is at most 125 bytes: one length byte, then the code.
    private static ushort? ReadCloseCode(ReadOnlySpan<byte> frame) =>
        frame.Length >= 4 && (frame[1] & 0x7F) >= 2 ? (ushort)((frame[2] << 8) | frame[3]) : null;

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
