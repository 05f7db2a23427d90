using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace PushEx.LoadTest.Wire;

/// <summary>
/// A minimal RFC 6455 client over a raw socket bound to a chosen loopback source address (so tens of thousands of
/// connections do not run out of ephemeral ports of one address). It keeps one small receive buffer, reads with a
/// single receive call per wake-up and parses every frame in it: a load generator on one core must spend less per
/// message than the server it measures. Masked text frames out; unmasked frames in (fragmented ones reassembled);
/// pings answered; no extensions.
/// </summary>
internal sealed class WsConnection : IDisposable
{
    private const int InitialBufferBytes = 512;
    private const int MaxMessageBytes = 1024 * 1024;

    private static readonly byte[] MaskKey = RandomNumberGenerator.GetBytes(4);
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    private readonly Socket _socket;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private ArrayBufferWriter<byte>? _fragments;
    private int _disposed;

    private WsConnection(Socket socket, byte[] buffer, int start, int end)
    {
        _socket = socket;
        _buffer = buffer;
        _start = start;
        _end = end;
    }

    /// <summary>Builds the upgrade request once per target; every connection to it sends the same bytes.</summary>
    public static byte[] UpgradeRequest(EndPoint server, string pathAndQuery) =>
        Encoding.ASCII.GetBytes(
            $"GET {pathAndQuery} HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");

    /// <summary>Connects from <paramref name="source"/>, sends the upgrade request and waits for 101.</summary>
    public static async Task<WsConnection> ConnectAsync(IPEndPoint server, IPAddress? source, byte[] upgradeRequest, CancellationToken cancellationToken)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
            await socket.SendAsync(upgradeRequest, SocketFlags.None, cancellationToken).ConfigureAwait(false);

            var buffer = new byte[InitialBufferBytes];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    throw new IOException("The upgrade response headers are too long.");
                }

                var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException("The server closed the connection during the upgrade.");
                }

                length += read;
                var headerEnd = buffer.AsSpan(0, length).IndexOf(HeaderEnd);
                if (headerEnd < 0)
                {
                    continue;
                }

                if (!buffer.AsSpan().StartsWith("HTTP/1.1 101"u8))
                {
                    var statusLine = Encoding.ASCII.GetString(buffer, 0, Math.Min(length, buffer.AsSpan(0, length).IndexOf("\r\n"u8)));
                    throw new IOException($"The upgrade was refused: {statusLine}");
                }

                // Bytes after the headers already belong to the WebSocket stream.
                return new WsConnection(socket, buffer, headerEnd + HeaderEnd.Length, length);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one masked text frame; concurrent calls are safe (the socket queues whole sends in order).</summary>
    public async ValueTask SendTextAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var frame = ArrayPool<byte>.Shared.Rent(payload.Length + 14);
        try
        {
            var length = WriteFrame(frame, opcode: 0x1, payload.Span);
            await _socket.SendAsync(frame.AsMemory(0, length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Reads until the connection ends, handing each complete message to <paramref name="sink"/>.</summary>
    public async Task RunReceiveLoopAsync(IMessageSink sink)
    {
        try
        {
            while (true)
            {
                if (!await ParseBufferedFramesAsync(sink).ConfigureAwait(false))
                {
                    return;
                }

                var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                _end += read;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // Aborted by us or reset by the server: either way the connection is over.
        }
        finally
        {
            Dispose();
            sink.OnClosed(this);
        }
    }

    /// <summary>Drops the connection with a TCP reset and no close handshake, as a vanished client does.</summary>
    public void Abort()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        Dispose();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
        }
    }

    // Handles every complete frame in the buffer, then makes room for the next read. False once a close frame came.
    private async ValueTask<bool> ParseBufferedFramesAsync(IMessageSink sink)
    {
        while (TryReadHeader(_buffer.AsSpan(_start, _end - _start), out var fin, out var opcode, out var headerLength, out var payloadLength))
        {
            if (payloadLength > MaxMessageBytes)
            {
                throw new IOException($"A frame of {payloadLength} bytes is over the limit.");
            }

            var frameLength = headerLength + (int)payloadLength;
            if (_end - _start < frameLength)
            {
                EnsureRoom(frameLength);
                return true;
            }

            var payloadStart = _start + headerLength;
            var payload = _buffer.AsMemory(payloadStart, (int)payloadLength);
            _start += frameLength;
            switch (opcode)
            {
                case 0x8:
                    return false;
                case 0x9:
                    await SendControlAsync(0xA, payload).ConfigureAwait(false);
                    break;
                case 0xA:
                    break;
                default:
                    Deliver(sink, fin, opcode, payload.Span);
                    break;
            }
        }

        EnsureRoom(16);
        return true;
    }

    private void Deliver(IMessageSink sink, bool fin, int opcode, ReadOnlySpan<byte> payload)
    {
        if (fin && opcode != 0x0 && _fragments is null)
        {
            sink.OnMessage(payload);
            return;
        }

        _fragments ??= new ArrayBufferWriter<byte>(payload.Length * 2);
        _fragments.Write(payload);
        if (_fragments.WrittenCount > MaxMessageBytes)
        {
            throw new IOException("A fragmented message is over the limit.");
        }

        if (fin)
        {
            sink.OnMessage(_fragments.WrittenSpan);
            _fragments = null;
        }
    }

    // Keeps the unread bytes at the start of the buffer and grows it when one frame needs more room.
    private void EnsureRoom(int needed)
    {
        var unread = _end - _start;
        if (unread == 0)
        {
            _start = _end = 0;
        }
        else if (_start > 0 && _buffer.Length - _start < Math.Max(needed, 64))
        {
            _buffer.AsSpan(_start, unread).CopyTo(_buffer);
            _start = 0;
            _end = unread;
        }

        if (_buffer.Length - _start < needed || _end == _buffer.Length)
        {
            var larger = new byte[Math.Max(_buffer.Length * 2, needed + 64)];
            _buffer.AsSpan(_start, unread).CopyTo(larger);
            _buffer = larger;
            _start = 0;
            _end = unread;
        }
    }

    private async ValueTask SendControlAsync(int opcode, ReadOnlyMemory<byte> payload)
    {
        var frame = new byte[payload.Length + 14];
        var length = WriteFrame(frame, opcode, payload.Span);
        await _socket.SendAsync(frame.AsMemory(0, length), SocketFlags.None).ConfigureAwait(false);
    }

    private static bool TryReadHeader(ReadOnlySpan<byte> data, out bool fin, out int opcode, out int headerLength, out long payloadLength)
    {
        fin = false;
        opcode = 0;
        headerLength = 0;
        payloadLength = 0;
        if (data.Length < 2)
        {
            return false;
        }

        fin = (data[0] & 0x80) != 0;
        opcode = data[0] & 0x0F;
        var masked = (data[1] & 0x80) != 0;
        var length = data[1] & 0x7F;
        headerLength = 2;
        if (length == 126)
        {
            if (data.Length < 4)
            {
                return false;
            }

            payloadLength = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
            headerLength = 4;
        }
        else if (length == 127)
        {
            if (data.Length < 10)
            {
                return false;
            }

            payloadLength = (long)BinaryPrimitives.ReadUInt64BigEndian(data[2..]);
            headerLength = 10;
        }
        else
        {
            payloadLength = length;
        }

        if (masked)
        {
            throw new IOException("The server sent a masked frame.");
        }

        return true;
    }

    private static int WriteFrame(Span<byte> frame, int opcode, ReadOnlySpan<byte> payload)
    {
        frame[0] = (byte)(0x80 | opcode);
        int offset;
        if (payload.Length < 126)
        {
            frame[1] = (byte)(0x80 | payload.Length);
            offset = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame[2..], (ushort)payload.Length);
            offset = 4;
        }
        else
        {
            frame[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame[2..], (ulong)payload.Length);
            offset = 10;
        }

        MaskKey.CopyTo(frame[offset..]);
        offset += 4;
        for (var i = 0; i < payload.Length; i++)
        {
            frame[offset + i] = (byte)(payload[i] ^ MaskKey[i & 3]);
        }

        return offset + payload.Length;
    }
}
