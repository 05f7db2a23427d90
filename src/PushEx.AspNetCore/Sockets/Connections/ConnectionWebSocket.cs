using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text.Unicode;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using PushEx.Sockets;

namespace PushEx.AspNetCore.Sockets.Connections;

/// <summary>
/// Carries one <see cref="PushSocket"/> as RFC 6455 frames straight over Kestrel's connection, with nothing of the
/// HTTP request left: an idle socket is this object, one pending read and the socket itself. A message is unmasked
/// into a pooled buffer as it arrives, held only until it is handled. Writes land in the connection's output and go
/// out with one flush per batch (<see cref="SocketOutbox"/>), written on the thread that queued them.
/// Client frames are judged as §5–7 ask of a server: masked, no RSV bits or unknown opcodes, control frames short and
/// whole, fragments in order, text valid UTF-8, messages within the limit (1009), close codes valid. A violation
/// closes with 1002 (1007 for text, 1009 for size); from then on frames are skipped unread until the client's close.
/// Once the server's close frame is out, the connection ends when the client answers, at its end of stream, or after
/// <see cref="CloseTimeout"/>; never with a reset while the client may still read the close.
/// </summary>
internal sealed partial class ConnectionWebSocket : ISocketTransport
{
    /// <summary>How long the client gets to answer a close frame before the connection is dropped.</summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private const int InitialMessageBytes = 1024;

    private readonly ConnectionContext _connection;
    private readonly int _maxMessageBytes;
    private readonly ReceiveBuffer _message = new(ArrayPool<byte>.Shared);
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    // Receive state, touched only by the receive loop.
    private int _messageLength;
    private FrameOpcode? _messageOpcode;
    private bool _failed;
    private ulong _skip;
    private Utf8Check _utf8;
    private FrameHeader _frame;
    private long _frameLeft;

    private ITimer? _closeTimer;
    private volatile bool _closeFrameWritten;
    private volatile bool _closeSent;
    private volatile bool _ended;

    public ConnectionWebSocket(ConnectionContext connection, int maxMessageBytes, TimeProvider timeProvider, ILogger logger)
    {
        _connection = connection;
        _maxMessageBytes = maxMessageBytes;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public bool WritesInline => true;

    // Read through the connection rather than kept: an idle socket's fields are its memory.
    private PipeReader Input => _connection.Transport.Input;

    private PipeWriter Output => _connection.Transport.Output;

    public ValueTask SendAsync(OutboundFrame frame, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        var opcode = frame.IsPong ? FrameOpcode.Pong : frame.IsBinary ? FrameOpcode.Binary : FrameOpcode.Text;
        ServerFrames.Write(Output, opcode, frame.Prefix.Span, frame.Body.Span);
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        return FlushOutputAsync(cancellationToken);
    }

    public ValueTask CloseAsync(SocketCloseCode code, string reason, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        ServerFrames.WriteClose(Output, (ushort)code, reason);
        _closeFrameWritten = true;

        // A client that never answers the close frame must not hold the connection open.
        _closeTimer = _timeProvider.CreateTimer(static state => ((ConnectionWebSocket)state!).OnCloseTimeout(), this, CloseTimeout, Timeout.InfiniteTimeSpan);
        var flush = FlushOutputAsync(cancellationToken);
        if (flush.IsCompletedSuccessfully)
        {
            _closeSent = true;
            return ValueTask.CompletedTask;
        }

        return AwaitCloseSentAsync(flush);
    }

    private async ValueTask AwaitCloseSentAsync(ValueTask flush)
    {
        await flush.ConfigureAwait(false);
        _closeSent = true;
    }

    // The client did not answer the close in time. If the close went out, the connection ends cleanly (the client
    // keeps what it was sent); if even the close is stuck behind a client that reads nothing, it is dropped.
    private void OnCloseTimeout()
    {
        if (_closeSent)
        {
            Input.CancelPendingRead();
        }
        else
        {
            Drop();
        }
    }

    /// <summary>
    /// Drops the connection, unless the server's close frame is already written: the close timer then ends it if the
    /// client does not answer, as a reset now could cost the client that close.
    /// </summary>
    public void Abort()
    {
        if (!_closeFrameWritten)
        {
            Drop();
        }
    }

    /// <summary>
    /// Reads frames and hands them to the socket until the connection ends; then waits for the close to be written.
    /// One method, so that an idle socket waits in a single state machine.
    /// </summary>
    public async Task RunAsync(PushSocket socket)
    {
        try
        {
            while (true)
            {
                // One pending read per idle socket: Kestrel's transport waits for data without a buffer.
                var result = await Input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    return;
                }

                // Only what the loop below needs lives on across its awaits (the state machine is an idle socket's).
                var buffer = result.Buffer;
                var endOfStream = result.IsCompleted;
                var step = Step.NeedMore;
                try
                {
                    if (!buffer.IsEmpty)
                    {
                        socket.MarkActivity();
                    }

                    while ((step = NextFrame(socket, ref buffer)) is Step.Handled or Step.Message)
                    {
                        if (step == Step.Message)
                        {
                            await HandleMessageAsync(socket).ConfigureAwait(false);
                        }
                    }
                }
                finally
                {
                    Input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (step == Step.ClientClosed || endOfStream)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away without a close handshake, or the connection was dropped: how most sockets end.
            SocketTransportLog.ConnectionLost(_logger, ex);
        }
        catch (Exception ex)
        {
            SocketTransportLog.SocketFailed(_logger, ex);
            socket.Close(SocketCloseCode.InternalError, "server error");
        }
        finally
        {
            _message.Release();
            await socket.OnClosedAsync().ConfigureAwait(false);
            await WaitForCloseAsync(socket).ConfigureAwait(false);
            _ended = true;
            _closeTimer?.Dispose();
        }
    }

    private async ValueTask HandleMessageAsync(PushSocket socket)
    {
        try
        {
            if (!socket.IsClosing)
            {
                var isBinary = _messageOpcode == FrameOpcode.Binary;
                await socket.HandleFrameAsync(_message.Array.AsMemory(0, _messageLength), isBinary, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            EndMessage();
        }
    }

    // Takes one frame off the front of the buffer, or says that more bytes are needed for it.
    private Step NextFrame(PushSocket socket, ref ReadOnlySequence<byte> buffer)
    {
        if (_skip > 0)
        {
            var skipped = (ulong)buffer.Length < _skip ? buffer.Length : (long)_skip;
            buffer = buffer.Slice(skipped);
            _skip -= (ulong)skipped;
            if (_skip > 0)
            {
                return Step.NeedMore;
            }
        }

        if (_frameLeft > 0)
        {
            return ContinueDataFrame(socket, ref buffer);
        }

        if (!FrameHeader.TryRead(buffer, out var header))
        {
            return Step.NeedMore;
        }

        if (_failed)
        {
            // After a violation only the client's close matters; whatever else it sends is skipped unread.
            return header.Opcode == FrameOpcode.Close ? Step.ClientClosed : Skip(ref buffer, header);
        }

        if (Violation(header) is { } violation)
        {
            Fail(socket, violation.Code, violation.Reason);

            // A bad close is still the client's close; a length that cannot be real cannot be skipped either.
            return header.Opcode == FrameOpcode.Close ? Step.ClientClosed
                : header.PayloadLength > long.MaxValue ? SkipHead(ref buffer, header)
                : Skip(ref buffer, header);
        }

        if (!header.IsControl)
        {
            // A data frame is taken as it arrives: a message may be larger than the connection's input buffer.
            buffer = buffer.Slice(header.Length);
            BeginDataFrame(header);
            return ContinueDataFrame(socket, ref buffer);
        }

        // A control frame is taken whole (at most 125 bytes, checked above).
        if (header.PayloadLength > (ulong)(buffer.Length - header.Length))
        {
            return Step.NeedMore;
        }

        var payload = buffer.Slice(header.Length, (long)header.PayloadLength);
        buffer = buffer.Slice(payload.End);
        switch (header.Opcode)
        {
            case FrameOpcode.Ping:
                var pong = new byte[payload.Length];
                header.Unmask(payload, pong);
                socket.Send(OutboundFrame.Pong(pong));
                return Step.Handled;
            case FrameOpcode.Pong:
                return Step.Handled;
            default:
                AnswerClientClose(socket, header, payload);
                return Step.ClientClosed;
        }
    }

    // Makes room in the message buffer for the whole payload (the limit was checked against the head).
    private void BeginDataFrame(in FrameHeader header)
    {
        var length = (int)header.PayloadLength;
        if (header.Opcode != FrameOpcode.Continuation)
        {
            _messageOpcode = header.Opcode;
            _message.Rent(Math.Min(Math.Max(length, InitialMessageBytes), _maxMessageBytes));
        }
        else if (_messageLength + length > _message.Array.Length)
        {
            _message.Grow(Math.Min(Math.Max(_messageLength + length, _message.Array.Length * 2), _maxMessageBytes), _messageLength);
        }

        _frame = header;
        _frameLeft = length;
    }

    // Unmasks what has arrived of the current data frame's payload into the message; at the frame's end, the message
    // is whole (FIN) or waits for its next fragment.
    private Step ContinueDataFrame(PushSocket socket, ref ReadOnlySequence<byte> buffer)
    {
        var arrived = Math.Min(buffer.Length, _frameLeft);
        _frame.Unmask(buffer.Slice(0, arrived), _message.Array.AsSpan(_messageLength), offset: (long)_frame.PayloadLength - _frameLeft);
        buffer = buffer.Slice(arrived);
        _messageLength += (int)arrived;
        _frameLeft -= arrived;

        var frameEnded = _frameLeft == 0;
        if (_messageOpcode == FrameOpcode.Text && !_utf8.Check(_message.Array.AsSpan(0, _messageLength), isWhole: frameEnded && _frame.Fin))
        {
            // What is still to come of this frame is skipped unread, like any frame after a violation.
            _skip = (ulong)_frameLeft;
            _frameLeft = 0;
            Fail(socket, SocketCloseCode.InvalidPayloadData, "invalid UTF-8");
            return Step.Handled;
        }

        return !frameEnded ? Step.NeedMore : _frame.Fin ? Step.Message : Step.Handled;
    }

    // What RFC 6455 forbids in a client frame's head (§5.1–5.5), and the size limit.
    private (SocketCloseCode Code, string Reason)? Violation(in FrameHeader header)
    {
        if (header.Rsv != 0)
        {
            return (SocketCloseCode.ProtocolError, "reserved bits set");
        }

        if (!Enum.IsDefined(header.Opcode))
        {
            return (SocketCloseCode.ProtocolError, "reserved opcode");
        }

        if (!header.Masked)
        {
            return (SocketCloseCode.ProtocolError, "unmasked frame");
        }

        if (header.PayloadLength > long.MaxValue)
        {
            return (SocketCloseCode.ProtocolError, "bad length");
        }

        if (header.IsControl)
        {
            return header.Fin && header.PayloadLength <= FrameHeader.MaxControlPayload
                ? null
                : (SocketCloseCode.ProtocolError, "bad control frame");
        }

        if ((header.Opcode == FrameOpcode.Continuation) != (_messageOpcode is not null))
        {
            return (SocketCloseCode.ProtocolError, header.Opcode == FrameOpcode.Continuation ? "continuation without a message" : "message interrupted");
        }

        if ((ulong)_messageLength + header.PayloadLength > (ulong)_maxMessageBytes)
        {
            SocketTransportLog.FrameTooBig(_logger, _maxMessageBytes);
            return (SocketCloseCode.MessageTooBig, "frame too big");
        }

        return null;
    }

    // Answers the client's close, echoing its code as Cowboy does; frames still queued are moot now.
    private void AnswerClientClose(PushSocket socket, in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        Span<byte> body = stackalloc byte[FrameHeader.MaxControlPayload];
        body = body[..(int)payload.Length];
        header.Unmask(payload, body);
        if (body.Length == 0)
        {
            socket.Close(SocketCloseCode.NormalClosure, string.Empty);
            return;
        }

        var code = body.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(body) : (ushort)0;
        if (!IsValidCloseCode(code))
        {
            Log.ProtocolViolation(_logger, "invalid close code");
            socket.Close(SocketCloseCode.ProtocolError, string.Empty);
        }
        else if (!Utf8.IsValid(body[2..]))
        {
            Log.ProtocolViolation(_logger, "close reason not UTF-8");
            socket.Close(SocketCloseCode.InvalidPayloadData, string.Empty);
        }
        else
        {
            socket.Close((SocketCloseCode)code, string.Empty);
        }
    }

    // The codes a peer may send (§7.4): the registered ones, less those that must never be on the wire, and 3000–4999.
    private static bool IsValidCloseCode(ushort code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    private void Fail(PushSocket socket, SocketCloseCode code, string reason)
    {
        Log.ProtocolViolation(_logger, reason);
        _failed = true;
        EndMessage();
        socket.Close(code, reason);
    }

    private Step Skip(ref ReadOnlySequence<byte> buffer, in FrameHeader header)
    {
        buffer = buffer.Slice(header.Length);
        _skip = header.PayloadLength;
        return Step.Handled;
    }

    private static Step SkipHead(ref ReadOnlySequence<byte> buffer, in FrameHeader header)
    {
        buffer = buffer.Slice(header.Length);
        return Step.Handled;
    }

    private void EndMessage()
    {
        _message.Release();
        _messageLength = 0;
        _messageOpcode = null;
        _utf8 = default;
    }

    private async Task WaitForCloseAsync(PushSocket socket)
    {
        if (!socket.IsClosing || socket.Completion.IsCompleted)
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

    private ValueTask FlushOutputAsync(CancellationToken cancellationToken)
    {
        var flush = Output.FlushAsync(cancellationToken);
        if (flush.IsCompletedSuccessfully)
        {
            ThrowIfEnded(flush.Result);
            return ValueTask.CompletedTask;
        }

        return AwaitFlushAsync(flush);

        static async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush) => ThrowIfEnded(await flush.ConfigureAwait(false));
    }

    private static void ThrowIfEnded(FlushResult result)
    {
        if (result.IsCompleted || result.IsCanceled)
        {
            throw new IOException("The connection ended before the frames were sent.");
        }
    }

    private void ThrowIfClosed()
    {
        if (_closeFrameWritten)
        {
            throw new IOException("The server's close frame has been written; nothing may follow it.");
        }
    }

    // Ends the connection at once, close frame or not.
    private void Drop()
    {
        if (_ended)
        {
            return;
        }

        _connection.Abort(new ConnectionAbortedException("PushEx dropped the socket's connection."));
        Input.CancelPendingRead();
    }

    private enum Step
    {
        NeedMore,
        Handled,
        Message,
        ClientClosed,
    }
}
