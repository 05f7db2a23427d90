using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using PushEx.Sockets;

namespace PushEx.AspNetCore.Sockets;

/// <summary>
/// Carries one <see cref="PushSocket"/> over an accepted <see cref="WebSocket"/>. While idle it waits with a
/// zero-byte read, so it holds no receive buffer; a buffer is rented only while a frame is being read and
/// returned right after. Frames over the size limit close with 1009. (Text that is not UTF-8 never gets here:
/// .NET's WebSocket closes with 1007 itself, and with 1002 on a framing error.)
/// Once a close frame is on the wire, whoever sent it, the connection ends through the close handshake, bounded by
/// <see cref="CloseTimeout"/>, never through a reset: a server that resets with the client's bytes unread makes the
/// client's kernel drop what it had received, the close frame included.
/// </summary>
internal sealed partial class WebSocketTransport : ISocketTransport
{
    /// <summary>How long the client gets to answer a close frame before the connection is dropped.</summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After the WebSocket's own close, how long the client may stay silent before the connection ends: its answer to
    /// the close arrives within a round trip, so a silence this long means it is all in (or lost inside the WebSocket).
    /// </summary>
    internal static readonly TimeSpan LingerQuietTime = TimeSpan.FromSeconds(1);

    private const int InitialReceiveBufferBytes = 4 * 1024;
    private const int LingerBufferBytes = 1024;

    private readonly WebSocket _webSocket;
    private readonly int _maxFrameBytes;
    private readonly ReceiveBuffer _receiveBuffer;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Action _abortConnection;
    private readonly ClientActivityStream? _connection;
    private ITimer? _closeTimer;
    private ITimer? _dropTimer;
    private volatile bool _ended;

    public WebSocketTransport(WebSocket webSocket, int maxFrameBytes, ArrayPool<byte> bufferPool, TimeProvider timeProvider, ILogger logger, Action abortConnection, ClientActivityStream? connection = null)
    {
        _connection = connection;
        _webSocket = webSocket;
        _maxFrameBytes = maxFrameBytes;
        _receiveBuffer = new ReceiveBuffer(bufferPool);
        _timeProvider = timeProvider;
        _logger = logger;
        _abortConnection = abortConnection;
    }

    public ValueTask SendAsync(OutboundFrame frame, CancellationToken cancellationToken)
    {
        if (_connection is { CloseFrameSent: true })
        {
            return ValueTask.FromException(new IOException("The server's close frame has been written; nothing may follow it."));
        }

        var type = frame.IsBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
        return frame.Prefix.IsEmpty
            ? _webSocket.SendAsync(frame.Body, type, endOfMessage: true, cancellationToken)
            : SendJoinedAsync(frame, type, cancellationToken);
    }

    // The two parts go out as one WebSocket message; the buffer is rented only for the write.
    private async ValueTask SendJoinedAsync(OutboundFrame frame, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(frame.Length);
        try
        {
            frame.CopyTo(buffer);
            await _webSocket.SendAsync(buffer.AsMemory(0, frame.Length), type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async ValueTask CloseAsync(SocketCloseCode code, string reason, CancellationToken cancellationToken)
    {
        if (!_ended && _webSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            // A client that never answers the close frame must not hold the connection open.
            _closeTimer = _timeProvider.CreateTimer(static state => ((WebSocketTransport)state!).Drop(), this, CloseTimeout, Timeout.InfiniteTimeSpan);
            await _webSocket.CloseOutputAsync((WebSocketCloseStatus)code, reason, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Drops the connection, unless the server's close frame is already going out: then it gets until
    /// <see cref="CloseTimeout"/> to end through the close handshake, as a reset now could only cost the client that
    /// close. That is the case when a send fails because the WebSocket closed by itself meanwhile.
    /// </summary>
    public void Abort()
    {
        if (_connection is { CloseFrameSent: true })
        {
            var timer = _timeProvider.CreateTimer(static state => ((WebSocketTransport)state!).Drop(), this, CloseTimeout, Timeout.InfiniteTimeSpan);
            if (Interlocked.CompareExchange(ref _dropTimer, timer, null) is not null)
            {
                timer.Dispose();
            }

            return;
        }

        Drop();
    }

    // Ends the connection at once, close frame or not.
    private void Drop()
    {
        _webSocket.Abort();
        if (_ended)
        {
            return;
        }

        try
        {
            _abortConnection();
        }
        catch (ObjectDisposedException)
        {
            // The request finished meanwhile: the connection is already gone.
        }
    }

    /// <summary>Reads frames and hands them to the socket until the connection ends; then waits for the close to be written.</summary>
    public async Task RunAsync(PushSocket socket, CancellationToken connectionAborted)
    {
        var linger = false;
        try
        {
            await ReceiveLoopAsync(socket, connectionAborted).ConfigureAwait(false);
        }
        catch (WebSocketException ex) when (_connection is { CloseFrameSent: true } connection && _webSocket.State == WebSocketState.Aborted)
        {
            // The WebSocket refused a client frame and closed by itself (1002, 1007), or the client broke the
            // protocol after our close. The outbox stops here: its own close finds the close frame already sent.
            Log.ClosedByWebSocket(_logger, connection.CloseCode, ex);
            socket.Close(connection.CloseCode is { } code ? (SocketCloseCode)code : SocketCloseCode.ProtocolError, string.Empty);
            linger = true;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client went away without a close handshake; that is how most connections end.
            SocketTransportLog.ConnectionLost(_logger, ex);
        }
        catch (Exception ex)
        {
            SocketTransportLog.SocketFailed(_logger, ex);
            socket.Close(SocketCloseCode.InternalError, "server error");
        }
        finally
        {
            await socket.OnClosedAsync().ConfigureAwait(false);
            await WaitForCloseAsync(socket).ConfigureAwait(false);
            if (linger)
            {
                await LingerAsync().ConfigureAwait(false);
            }

            _ended = true;
            _closeTimer?.Dispose();
            Volatile.Read(ref _dropTimer)?.Dispose();
        }
    }

    private async Task ReceiveLoopAsync(PushSocket socket, CancellationToken connectionAborted)
    {
        while (true)
        {
            // Waits for the next frame without a buffer: an idle socket holds no memory of ours.
            var next = await _webSocket.ReceiveAsync(Memory<byte>.Empty, connectionAborted).ConfigureAwait(false);
            socket.MarkActivity();
            if (next.MessageType == WebSocketMessageType.Close)
            {
                AnswerClientClose(socket);
                return;
            }

            _receiveBuffer.Rent(Math.Min(InitialReceiveBufferBytes, _maxFrameBytes + 1));
            try
            {
                var (kind, length) = await ReadMessageAsync(connectionAborted).ConfigureAwait(false);
                switch (kind)
                {
                    case ReadKind.Close:
                        AnswerClientClose(socket);
                        return;
                    case ReadKind.TooBig:
                        SocketTransportLog.FrameTooBig(_logger, _maxFrameBytes);
                        socket.Close(SocketCloseCode.MessageTooBig, "frame too big");
                        await DiscardUntilClosedAsync(connectionAborted).ConfigureAwait(false);
                        return;
                }

                if (!socket.IsClosing)
                {
                    await socket.HandleFrameAsync(_receiveBuffer.Array.AsMemory(0, length), kind == ReadKind.Binary, connectionAborted).ConfigureAwait(false);
                }
            }
            finally
            {
                _receiveBuffer.Release();
            }
        }
    }

    // Answers the client's close, echoing its code as Cowboy does; frames still queued are moot now.
    private void AnswerClientClose(PushSocket socket) =>
        socket.Close(_webSocket.CloseStatus is { } status ? (SocketCloseCode)status : SocketCloseCode.NormalClosure, string.Empty);

    // Reads one whole message into the receive buffer, growing it (from the pool) up to the frame limit.
    private async ValueTask<(ReadKind Kind, int Length)> ReadMessageAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            if (length == _receiveBuffer.Array.Length)
            {
                if (length > _maxFrameBytes)
                {
                    return (ReadKind.TooBig, length);
                }

                _receiveBuffer.Grow(Math.Min(length * 2, _maxFrameBytes + 1), bytesToKeep: length);
            }

            var result = await _webSocket.ReceiveAsync(_receiveBuffer.Array.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (ReadKind.Close, 0);
            }

            length += result.Count;
            if (length > _maxFrameBytes)
            {
                return (ReadKind.TooBig, length);
            }

            if (result.EndOfMessage)
            {
                return (result.MessageType == WebSocketMessageType.Binary ? ReadKind.Binary : ReadKind.Text, length);
            }
        }
    }

    // After the server decided to close, whatever the client still sends is read and dropped until its close frame.
    private async Task DiscardUntilClosedAsync(CancellationToken cancellationToken)
    {
        while (_webSocket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            var result = await _webSocket.ReceiveAsync(_receiveBuffer.Array.AsMemory(), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
        }
    }

    // The WebSocket no longer reads, so the client's bytes since the refused frame (its answer to the close among them)
    // are read raw and dropped until its close frame, its end of stream, a silence or the close timeout; the request
    // then ends with nothing unread, and the server's close reaches the client.
    // (A connection the server aborts meanwhile fails the read.)
    private async Task LingerAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(LingerBufferBytes);
        var deadline = _timeProvider.GetTimestamp() + (long)(CloseTimeout.TotalSeconds * _timeProvider.TimestampFrequency);
        using var quiet = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _timeProvider);
        try
        {
            while (true)
            {
                var left = _timeProvider.GetElapsedTime(_timeProvider.GetTimestamp(), deadline);
                if (left <= TimeSpan.Zero)
                {
                    return;
                }

                quiet.CancelAfter(left < LingerQuietTime ? left : LingerQuietTime);
                var read = await _connection!.ReadAsync(buffer.AsMemory(0, LingerBufferBytes), quiet.Token).ConfigureAwait(false);
                if (read == 0 || EndsWithClientClose(buffer.AsSpan(0, read)))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Silent for too long, or gone: either way there is nothing more to wait for.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // True when the bytes end with a whole client close frame (masked, at most 125 bytes of payload); a client writes
    // its close frame in one piece, so its end is where a read ends.
    private static bool EndsWithClientClose(ReadOnlySpan<byte> bytes)
    {
        for (var start = Math.Max(0, bytes.Length - 131); start <= bytes.Length - 6; start++)
        {
            if (bytes[start] == 0x88 && (bytes[start + 1] & 0x80) != 0 && start + 6 + (bytes[start + 1] & 0x7F) == bytes.Length)
            {
                return true;
            }
        }

        return false;
    }

    private async Task WaitForCloseAsync(PushSocket socket)
    {
        if (!socket.IsClosing || _webSocket.State is WebSocketState.Aborted or WebSocketState.Closed)
        {
            return;
        }

        try
        {
            await socket.Completion.WaitAsync(CloseTimeout, _timeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Drop();
        }
    }

    private enum ReadKind
    {
        Text,
        Binary,
        Close,
        TooBig,
    }
}
