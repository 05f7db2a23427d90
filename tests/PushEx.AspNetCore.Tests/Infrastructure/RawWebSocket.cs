using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A WebSocket client that does everything by hand over a TCP socket, so a test controls every byte: it upgrades with
/// its own HTTP request, writes any frame <see cref="ClientFrames"/> builds (bad ones included), in one write or cut
/// into chunks of any size, and reads the server's frames and the end of the connection one at a time, each with a
/// timeout. Server frames must be unmasked and carry no RSV bits (no extension is ever negotiated).
/// </summary>
internal sealed class RawWebSocket : IDisposable
{
    /// <summary>How long a read waits for the server before the test fails.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private const int MaxHeadBytes = 16 * 1024;

    // RFC 6455 §1.3: the key the server appends to the client's before hashing.
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private readonly Socket _socket;
    private readonly Random _random;
    private byte[] _received = new byte[8 * 1024];
    private int _start;
    private int _end;

    private RawWebSocket(Socket socket, Random random)
    {
        _socket = socket;
        _random = random;
    }

    /// <summary>Connects to <paramref name="socketUri"/> (a <c>ws://</c> URL) and completes the upgrade, checking the 101 answer.</summary>
    public static async Task<RawWebSocket> ConnectAsync(Uri socketUri, int seed = 6455)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var client = new RawWebSocket(socket, new Random(seed));
        try
        {
            using var timeout = TimeoutToken(DefaultTimeout);
            await socket.ConnectAsync(socketUri.Host, socketUri.Port, timeout.Token);
            await client.UpgradeAsync(socketUri, timeout.Token);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>A frame masked with this client's random keys; see <see cref="ClientFrames.Frame"/> for the arguments.</summary>
    public byte[] Frame(byte opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0, bool masked = true, ulong? declaredLength = null) =>
        ClientFrames.Frame(_random, opcode, payload, fin, rsv, masked, declaredLength);

    /// <summary>A close frame; no code gives an empty payload.</summary>
    public byte[] CloseFrame(ushort? code = null, ReadOnlySpan<byte> reason = default)
    {
        if (code is null)
        {
            return Frame(ClientFrames.Close, []);
        }

        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code.Value);
        reason.CopyTo(payload.AsSpan(2));
        return Frame(ClientFrames.Close, payload);
    }

    /// <summary>Writes one frame built by <see cref="Frame"/>.</summary>
    public Task SendFrameAsync(byte opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0) =>
        SendAsync(Frame(opcode, payload, fin, rsv));

    /// <summary>Writes the bytes as they are; with <paramref name="chunkBytes"/>, in writes of that many bytes each.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> bytes, int chunkBytes = int.MaxValue)
    {
        using var timeout = TimeoutToken(DefaultTimeout);
        while (!bytes.IsEmpty)
        {
            var chunk = bytes[..Math.Min(chunkBytes, bytes.Length)];
            while (!chunk.IsEmpty)
            {
                var sent = await _socket.SendAsync(chunk, SocketFlags.None, timeout.Token);
                chunk = chunk[sent..];
            }

            bytes = bytes[Math.Min(chunkBytes, bytes.Length)..];
        }
    }

    /// <summary>Half-closes: the server reads the end of the stream.</summary>
    public void EndWrites() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads the server's next frame; fails when none comes within the timeout or the connection ends first.</summary>
    public async Task<ReceivedFrame> ReceiveFrameAsync(TimeSpan? timeout = null)
    {
        using var deadline = TimeoutToken(timeout ?? DefaultTimeout);
        while (true)
        {
            if (TryParseFrame() is { } frame)
            {
                return frame;
            }

            var (read, end) = await ReceiveMoreAsync("the server's next frame", deadline.Token);
            Assert.True(read > 0, $"The connection ended ({end}) where a frame was expected{(_end > _start ? $", {_end - _start} bytes of a frame cut short" : string.Empty)}.");
        }
    }

    /// <summary>Reads until the server ends the connection, failing on any byte that comes first; returns how it ended.</summary>
    public async Task<ConnectionEnd> ReceiveEndAsync(TimeSpan? timeout = null)
    {
        using var deadline = TimeoutToken(timeout ?? DefaultTimeout);
        while (true)
        {
            Assert.True(_end == _start, $"The server sent more where the connection should end: {TryParseFrame()?.ToString() ?? $"{_end - _start} bytes"}.");
            var (read, end) = await ReceiveMoreAsync("the end of the connection", deadline.Token);
            if (read == 0)
            {
                return end;
            }
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task UpgradeAsync(Uri socketUri, CancellationToken cancellationToken)
    {
        var key = new byte[16];
        _random.NextBytes(key);
        var keyText = Convert.ToBase64String(key);
        var request = $"GET {socketUri.PathAndQuery} HTTP/1.1\r\nHost: {socketUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {keyText}\r\n\r\n";
        await SendAsync(Encoding.ASCII.GetBytes(request));

        int headEnd;
        while ((headEnd = _received.AsSpan(0, _end).IndexOf("\r\n\r\n"u8)) < 0)
        {
            Assert.True(_end < MaxHeadBytes, "The upgrade answer's head is too long.");
            var (read, end) = await ReceiveMoreAsync("the upgrade answer", cancellationToken);
            Assert.True(read > 0, $"The server ended the connection ({end}) instead of answering the upgrade.");
        }

        var head = Encoding.Latin1.GetString(_received, 0, headEnd).Split("\r\n");
        Assert.StartsWith("HTTP/1.1 101 ", head[0], StringComparison.Ordinal);
#pragma warning disable CA5350 // RFC 6455 §4.2.2 fixes SHA-1 for the accept key; nothing here relies on its strength.
        var expectedAccept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(keyText + AcceptGuid)));
#pragma warning restore CA5350
        Assert.Contains($"sec-websocket-accept: {expectedAccept}", head.Skip(1), StringComparer.OrdinalIgnoreCase);
        _start = headEnd + 4;
    }

    // A whole frame from the received bytes, consumed; null when they do not hold one yet.
    private ReceivedFrame? TryParseFrame()
    {
        var bytes = _received.AsSpan(_start, _end - _start);
        if (bytes.Length < 2)
        {
            return null;
        }

        Assert.True((bytes[1] & 0x80) == 0, "The server masked a frame (RFC 6455 §5.1).");
        var (headerLength, length) = (bytes[1] & 0x7F) switch
        {
            126 => (4, bytes.Length >= 4 ? BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]) : -1L),
            127 => (10, bytes.Length >= 10 ? (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]) : -1L),
            var shortLength => (2, shortLength),
        };
        Assert.True(length <= 64 * 1024 * 1024, $"The server announced a {length}-byte frame.");
        if (length < 0 || bytes.Length < headerLength + length)
        {
            return null;
        }

        var frame = new ReceivedFrame(
            Fin: (bytes[0] & 0x80) != 0,
            Rsv: (bytes[0] >> 4) & 0x7,
            Opcode: (byte)(bytes[0] & 0xF),
            Payload: bytes.Slice(headerLength, (int)length).ToArray());
        Assert.True(frame.Rsv == 0, $"The server set RSV bits without an extension: {frame}.");
        _start += headerLength + (int)length;
        return frame;
    }

    private async Task<(int Read, ConnectionEnd End)> ReceiveMoreAsync(string awaited, CancellationToken cancellationToken)
    {
        if (_end == _received.Length)
        {
            // Keep the unread bytes at the front, growing only for a frame larger than the buffer.
            var unread = _end - _start;
            var target = unread == _received.Length ? new byte[_received.Length * 2] : _received;
            _received.AsSpan(_start, unread).CopyTo(target);
            (_received, _start, _end) = (target, 0, unread);
        }

        try
        {
            var read = await _socket.ReceiveAsync(_received.AsMemory(_end), SocketFlags.None, cancellationToken);
            _end += read;
            return (read, ConnectionEnd.EndOfStream);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return (0, ConnectionEnd.Reset);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"Timed out waiting for {awaited}.");
            throw;
        }
    }

    private static CancellationTokenSource TimeoutToken(TimeSpan timeout)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(timeout);
        return source;
    }
}
