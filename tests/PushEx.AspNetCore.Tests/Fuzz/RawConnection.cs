using System.Net.Sockets;
using System.Text;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// A plain TCP connection to the test server, through which a fuzz case writes whatever bytes it likes (its own HTTP
/// request, its own WebSocket frames) and reads the server's answer raw. Writes after the server has hung up fail
/// quietly: a hostile client does not care either.
/// </summary>
internal sealed class RawConnection : IDisposable
{
    private const int MaxHeadBytes = 64 * 1024;
    private const int MaxReadBytes = 16 * 1024 * 1024;

    private readonly Socket _socket;
    private byte[] _received = new byte[4096];
    private int _receivedLength;
    private int _headLength;

    private RawConnection(Socket socket) => _socket = socket;

    /// <summary>The bytes after the response head (WebSocket frames after a 101, or a body).</summary>
    public ReadOnlySpan<byte> AfterHead => _received.AsSpan(_headLength, _receivedLength - _headLength);

    /// <summary>The response head read by <see cref="ReadStatusAsync"/>, status line included.</summary>
    public string Head { get; private set; } = string.Empty;

    /// <summary>How the server ended the connection: null for the end of the stream, else the socket error (a reset).</summary>
    public string? EndReason { get; private set; }

    public static async Task<RawConnection> ConnectAsync(Uri baseAddress, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(baseAddress.Host, baseAddress.Port, cancellationToken);
            return new RawConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Writes the bytes; false when the server already closed the connection.</summary>
    public async Task<bool> TryWriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            while (!bytes.IsEmpty)
            {
                var sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
                bytes = bytes[sent..];
            }

            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Half-closes: the server reads the end of the stream, and may still answer.</summary>
    public void EndWrites()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Already reset by the server.
        }
    }

    /// <summary>Reads an HTTP response head and returns its status code; null when the server hung up before one.</summary>
    public async Task<int?> ReadStatusAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var end = _received.AsSpan(0, _receivedLength).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                _headLength = end + 4;
                Head = Encoding.Latin1.GetString(_received, 0, end);
                var statusLine = Encoding.ASCII.GetString(_received, 0, _received.AsSpan(0, end).IndexOf("\r\n"u8) is var lineEnd and >= 0 ? lineEnd : end);
                var parts = statusLine.Split(' ');
                Assert.True(parts.Length >= 2 && parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) && int.TryParse(parts[1], out _), $"Not an HTTP status line: {statusLine}");
                return int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            }

            Assert.True(_receivedLength < MaxHeadBytes, $"The response head passed {MaxHeadBytes} bytes.");
            if (!await ReceiveMoreAsync(cancellationToken))
            {
                return null;
            }
        }
    }

    /// <summary>Reads until the server ends the connection (end of stream or reset).</summary>
    public async Task ReadToEndAsync(CancellationToken cancellationToken)
    {
        while (await ReceiveMoreAsync(cancellationToken))
        {
            Assert.True(_receivedLength < MaxReadBytes, $"The server sent more than {MaxReadBytes} bytes on one fuzz connection.");
        }
    }

    /// <summary>
    /// Reads the body after the head as the head frames it (Content-Length, chunked, or up to the end of the stream);
    /// false when the server hung up before the body was complete.
    /// </summary>
    public async Task<bool> ReadBodyAsync(CancellationToken cancellationToken)
    {
        if (HeaderValue("Content-Length") is { } declared)
        {
            var length = long.Parse(declared, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(length < MaxReadBytes, $"The server declared a {length}-byte body.");
            while (_receivedLength - _headLength < length)
            {
                if (!await ReceiveMoreAsync(cancellationToken))
                {
                    return false;
                }
            }

            return true;
        }

        if (HeaderValue("Transfer-Encoding") is { } coding && coding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var at = _headLength;
            while (true)
            {
                // A chunk: its size in hex, CRLF, the bytes, CRLF; the last has size 0 and is followed by an empty line.
                int lineEnd;
                while ((lineEnd = _received.AsSpan(at, _receivedLength - at).IndexOf("\r\n"u8)) < 0)
                {
                    if (!await ReceiveMoreAsync(cancellationToken))
                    {
                        return false;
                    }
                }

                var sizeText = Encoding.ASCII.GetString(_received, at, lineEnd).Split(';')[0];
                Assert.True(int.TryParse(sizeText, System.Globalization.NumberStyles.HexNumber, null, out var size) && size >= 0, $"Not a chunk size: {sizeText}");
                var needed = at + lineEnd + 2 + size + 2;
                while (_receivedLength < needed)
                {
                    Assert.True(_receivedLength < MaxReadBytes, $"The server sent more than {MaxReadBytes} bytes on one fuzz connection.");
                    if (!await ReceiveMoreAsync(cancellationToken))
                    {
                        return false;
                    }
                }

                if (size == 0)
                {
                    return true;
                }

                at = needed;
            }
        }

        await ReadToEndAsync(cancellationToken);
        return true;
    }

    /// <summary>A header of the response head, or null.</summary>
    public string? HeaderValue(string name)
    {
        foreach (var line in Head.Split("\r\n").Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    public void Dispose() => _socket.Dispose();

    private async Task<bool> ReceiveMoreAsync(CancellationToken cancellationToken)
    {
        if (_receivedLength == _received.Length)
        {
            Array.Resize(ref _received, _received.Length * 2);
        }

        try
        {
            var read = await _socket.ReceiveAsync(_received.AsMemory(_receivedLength), SocketFlags.None, cancellationToken);
            _receivedLength += read;
            return read > 0;
        }
        catch (SocketException ex)
        {
            EndReason = ex.SocketErrorCode.ToString();
            return false;
        }
    }
}
