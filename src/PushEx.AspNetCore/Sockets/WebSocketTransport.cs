using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using PushEx.Sockets;

namespace PushEx.AspNetCore.Sockets;

/// <summary>
/// Carries one <see cref="PushSocket"/> over an accepted <see cref="WebSocket"/>. While idle it waits with a
/// zero-byte read, so it holds no receive buffer; a buffer is rented only while a frame is being read and
/// returned right after. Frames over the size limit close with 1009. (Text that is not UTF-8 never gets here:
/// .NET's WebSocket closes with 1007 itself.)
/// </summary>
internal sealed partial class WebSocketTransport : ISocketTransport
{
    /// <summary>How long the client gets to answer a close frame before the connection is dropped.</summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private const int InitialReceiveBufferBytes = 4 * 1024;

    private readonly WebSocket _webSocket;
    private readonly int _maxFrameBytes;
    private readonly ReceiveBuffer _receiveBuffer;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Action _abortConnection;
    private ITimer? _closeTimer;
    private volatile bool _ended;

    public WebSocketTransport(WebSocket webSocket, int maxFrameBytes, ArrayPool<byte> bufferPool, TimeProvider timeProvider, ILogger logger, Action abortConnection)
    {
        _webSocket = webSocket;
        _maxFrameBytes = maxFrameBytes;
        _receiveBuffer = new ReceiveBuffer(bufferPool);
        _timeProvider = timeProvider;
        _logger = logger;
        _abortConnection = abortConnection;
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, bool isBinary, CancellationToken cancellationToken) =>
        _webSocket.SendAsync(frame, isBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    public async ValueTask CloseAsync(SocketCloseCode code, string reason, CancellationToken cancellationToken)
    {
        if (!_ended && _webSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            // A client that never answers the close frame must not hold the connection open.
            _closeTimer = _timeProvider.CreateTimer(static state => ((WebSocketTransport)state!).Abort(), this, CloseTimeout, Timeout.InfiniteTimeSpan);
            await _webSocket.CloseOutputAsync((WebSocketCloseStatus)code, reason, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Abort()
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
        try
        {
            await ReceiveLoopAsync(socket, connectionAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client went away without a close handshake; that is how most connections end.
            Log.ConnectionLost(_logger, ex);
        }
        catch (Exception ex)
        {
            Log.SocketFailed(_logger, ex);
            socket.Close(SocketCloseCode.InternalError, "server error");
        }
        finally
        {
            await socket.OnClosedAsync().ConfigureAwait(false);
            await WaitForCloseAsync(socket).ConfigureAwait(false);
            _ended = true;
            _closeTimer?.Dispose();
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
                        Log.FrameTooBig(_logger, _maxFrameBytes);
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
            Abort();
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
