using System.Text;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// One fuzzed WebSocket connection over a raw TCP socket: the upgrade request written by hand, then the case's frames,
/// then a close, while the server's answer is read. The server must then end the connection by itself, with
/// well-formed frames (<see cref="ServerFrames"/>). The client half-closes only when its bytes end mid-frame: Kestrel
/// takes a client's end of stream as the connection's end and drops what the app had not read yet, so a client that
/// half-closes right after its close frame would hide the server's answer (and real clients wait for it).
/// </summary>
internal static class WebSocketSession
{
    // The server drops a client that does not answer its close within 5 s (WebSocketTransport.CloseTimeout).
    private static readonly TimeSpan ServerEndTimeout = TimeSpan.FromSeconds(10);

    public static byte[] UpgradeRequest(Uri baseAddress, string pathAndQuery, Random random, IEnumerable<string>? extraHeaders = null)
    {
        var key = new byte[16];
        random.NextBytes(key);
        var request = new StringBuilder()
            .Append("GET ").Append(pathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(baseAddress.Authority).Append("\r\n")
            .Append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
            .Append("Sec-WebSocket-Key: ").Append(Convert.ToBase64String(key)).Append("\r\n");
        foreach (var header in extraHeaders ?? [])
        {
            request.Append(header).Append("\r\n");
        }

        return Encoding.Latin1.GetBytes(request.Append("\r\n").ToString());
    }

    /// <summary>
    /// Upgrades, writes <paramref name="frames"/> then a close (or, when <paramref name="endsMidFrame"/>, the end of
    /// the stream), and reads until the server ends the connection.
    /// </summary>
    /// <returns>
    /// How many of the frames were written before the server hung up, what the server sent, and whether it reset the
    /// connection (a server that closes with the client's bytes unread resets it, and the client's kernel may then
    /// drop what the server had sent: its close frame included).
    /// </returns>
    public static async Task<(int Written, ServerFrames Answer, bool WasReset)> RunAsync(
        Uri baseAddress, string query, Random random, IReadOnlyList<byte[]> frames, CancellationToken cancellationToken, bool endsMidFrame = false)
    {
        using var connection = await RawConnection.ConnectAsync(baseAddress, cancellationToken);
        Assert.True(await connection.TryWriteAsync(UpgradeRequest(baseAddress, "/push_socket/websocket?" + query, random), cancellationToken));
        var status = await connection.ReadStatusAsync(cancellationToken);
        Assert.True(status == 101, $"The upgrade was answered {status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "by hanging up"}.");

        // Read while writing: the server answers frames as they come, and a client that does not read would stall it.
        var reading = connection.ReadToEndAsync(cancellationToken);
        var written = 0;
        foreach (var frame in frames)
        {
            if (!await connection.TryWriteAsync(frame, cancellationToken))
            {
                break;
            }

            written++;
        }

        if (endsMidFrame)
        {
            connection.EndWrites();
        }
        else
        {
            await connection.TryWriteAsync(ClientFrames.CloseFrame(random), cancellationToken);
        }

        try
        {
            await reading.WaitAsync(ServerEndTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The server kept the connection open {ServerEndTimeout.TotalSeconds} s after the client's {(endsMidFrame ? "end of stream" : "close frame")}.");
        }

        return (written, ServerFrames.Parse(connection.AfterHead), connection.EndReason is not null);
    }
}
