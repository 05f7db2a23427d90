using System.Diagnostics;
using System.Text;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Sockets;

/// <summary>
/// The closing handshake (RFC 6455 §5.5.1, §7; Autobahn 7.x): close codes and reasons, nothing after a close, and
/// the server ending TCP cleanly, bounded in time when the client never answers.
/// </summary>
public sealed partial class WebSocketConformanceTests
{
    // The server drops a client that never answers its close after 5 s; this leaves room for a slow machine.
    private static readonly TimeSpan CloseAnswerWait = TimeSpan.FromSeconds(8);

    public static TheoryData<ushort> ValidCloseCodes => [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];

    // Codes a client may not send (RFC 6455 §7.4): undefined, reserved, or never on the wire (1005, 1006, 1015).
    public static TheoryData<ushort> InvalidCloseCodes => [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

    [Fact]
    public async Task Close_Empty_IsAnsweredThenTcpEndsCleanly()
    {
        using var client = await OpenAsync();
        await client.SendAsync(client.CloseFrame());

        var frame = await client.ReceiveFrameAsync();
        Assert.True(frame is { Opcode: Close, Fin: true } && (frame.Payload.Length == 0 || frame.CloseCode == 1000), $"Expected an empty close or 1000, got {frame}.");
        Assert.Equal(ConnectionEnd.EndOfStream, await client.ReceiveEndAsync());
    }

    [Theory]
    [MemberData(nameof(ValidCloseCodes))]
    public async Task Close_WithValidCode_IsEchoedThenTcpEndsCleanly(ushort code)
    {
        using var client = await OpenAsync();
        await client.SendAsync(client.CloseFrame(code, "bye"u8));
        await AssertCloseEchoedAsync(client, code);
    }

    [Theory]
    [MemberData(nameof(InvalidCloseCodes))]
    public async Task Close_WithInvalidCode_ClosesWith1002(ushort code)
    {
        using var client = await OpenAsync();
        await client.SendAsync(client.CloseFrame(code));
        await AssertCloseEchoedAsync(client, ProtocolError);
    }

    [Fact]
    public async Task Close_WithOneBytePayload_ClosesWith1002()
    {
        using var client = await OpenAsync();
        await client.SendFrameAsync(Close, [0x03]);
        await AssertCloseEchoedAsync(client, ProtocolError);
    }

    [Fact]
    public async Task Close_WithReasonNotUtf8_ClosesWith1007()
    {
        using var client = await OpenAsync();
        await client.SendAsync(client.CloseFrame(1000, [.. "bye "u8, 0xED, 0xA0, 0x80]));
        await AssertCloseEchoedAsync(client, InvalidPayload);
    }

    [Fact]
    public async Task Close_WithMultiByteReason_IsEchoed()
    {
        using var client = await OpenAsync();
        await client.SendAsync(client.CloseFrame(1000, Encoding.UTF8.GetBytes(MultiByteReference)));
        await AssertCloseEchoedAsync(client, 1000);
    }

    [Fact]
    public async Task Close_With125BytePayload_IsEchoed()
    {
        using var client = await OpenAsync();
        await client.SendAsync(client.CloseFrame(1000, Encoding.ASCII.GetBytes(new string('r', 123))));
        await AssertCloseEchoedAsync(client, 1000);
    }

    [Fact]
    public async Task Close_With126BytePayload_ClosesWith1002()
    {
        // A control frame's payload is at most 125 bytes (§5.5).
        using var client = await OpenAsync();
        await client.SendAsync(client.CloseFrame(1000, Encoding.ASCII.GetBytes(new string('r', 124))));
        await AssertCloseEchoedAsync(client, ProtocolError);
    }

    [Fact]
    public async Task Close_FollowedByFrames_TheyAreIgnored()
    {
        // Written in one piece, so the frames after the close are surely there when the server reads it.
        using var client = await OpenAsync();
        await client.SendAsync((byte[])[.. client.CloseFrame(1000), .. client.Frame(Text, Heartbeat()), .. client.Frame(Ping, "after"u8)]);
        await AssertCloseEchoedAsync(client, 1000);
    }

    [Fact]
    public async Task ServerClose_Answered_TcpEndsCleanlyAtOnce()
    {
        // Not a Phoenix message: the server closes first.
        using var client = await OpenAsync();
        await client.SendFrameAsync(Text, "not json"u8);
        await ReceiveCloseAsync(client, ProtocolError);
        var answered = Stopwatch.StartNew();
        await client.SendAsync(client.CloseFrame(ProtocolError));
        Assert.Equal(ConnectionEnd.EndOfStream, await client.ReceiveEndAsync());
        Assert.True(answered.Elapsed < TimeSpan.FromSeconds(2), $"TCP ended {answered.Elapsed.TotalSeconds:F1} s after the client's close.");
    }

    [Fact]
    public async Task ServerClose_NeverAnswered_TcpEndsWithinTheCloseTimeout()
    {
        using var client = await OpenAsync();
        await client.SendFrameAsync(Text, "not json"u8);
        await ReceiveCloseAsync(client, ProtocolError);
        var end = await client.ReceiveEndAsync(CloseAnswerWait);
        Assert.True(end == ConnectionEnd.EndOfStream, $"The client never answered the server's close, and the server ended TCP with a {end}, not a clean end of stream.");
    }

    // The server answers the client's close with the given code, as its last frame, then ends TCP cleanly.
    private static async Task AssertCloseEchoedAsync(RawWebSocket client, ushort expectedCode)
    {
        await ReceiveCloseAsync(client, expectedCode);
        var end = await client.ReceiveEndAsync();
        Assert.True(end == ConnectionEnd.EndOfStream, $"After answering the client's close with {expectedCode}, the server ended TCP with a {end}, not a clean end of stream.");
    }
}
