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
