using System.Text;
using System.Text.Json.Nodes;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Sockets;

/// <summary>
/// RFC 6455 server conformance, frame by frame, over a raw TCP client (<see cref="RawWebSocket"/>): the checklist is
/// the Autobahn TestSuite's sections 1–7 and 9's sizes, the tests are ours. The server speaks Phoenix V2 on top, so an
/// "echo" is a heartbeat (padded with JSON whitespace to the size a case needs) answered by its reply; anything that is
/// not a Phoenix message closes with 1002 "malformed frame". Partial files by RFC area: Framing, Fragmentation, Control,
/// Utf8, Close, Limits.
/// </summary>
public sealed partial class WebSocketConformanceTests(WebSocketConformanceHosts hosts) : IClassFixture<WebSocketConformanceHosts>
{
    private const byte Text = ClientFrames.Text;
    private const byte Binary = ClientFrames.Binary;
    private const byte Continuation = ClientFrames.Continuation;
    private const byte Close = ClientFrames.Close;
    private const byte Ping = ClientFrames.Ping;
    private const byte Pong = ClientFrames.Pong;

    private const ushort ProtocolError = 1002;
    private const ushort InvalidPayload = 1007;
    private const ushort MessageTooBig = 1009;

    // The shortest heartbeat this suite sends: [null,"1","phoenix","heartbeat",{}].
    private const int HeartbeatBytes = 35;

    [Fact]
    public async Task BadClients_BesideAGoodOne_OnlyTheyAreClosed()
    {
        using var good = await OpenAsync();
        await good.SendAsync(good.Frame(Text, Heartbeat("before")));
        await AssertHeartbeatReplyAsync(good, "before");

        // Each bad client breaks the protocol differently; two of them stall the server mid-frame.
        using var reservedOpcode = await OpenAsync();
        using var notUtf8 = await OpenAsync();
        using var hugeHeader = await OpenAsync();
        using var halfFrame = await OpenAsync();
        await reservedOpcode.SendAsync(reservedOpcode.Frame(0x3, Heartbeat()));
        await notUtf8.SendAsync(notUtf8.Frame(Text, [.. "[null,\""u8, 0xFF, .. "\",\"phoenix\",\"heartbeat\",{}]"u8]));
        await hugeHeader.SendAsync(hugeHeader.Frame(Text, [], declaredLength: 1UL << 40));
        await halfFrame.SendAsync(halfFrame.Frame(Text, Heartbeat()).AsMemory(0, 10));

        // The good client is answered while the bad ones are being dealt with, and after.
        await good.SendAsync((byte[])[.. good.Frame(Ping, "during"u8), .. good.Frame(Text, Heartbeat("during"))]);
        await AssertPongAsync(good, "during"u8);
        await AssertHeartbeatReplyAsync(good, "during");
        await AssertServerClosesAsync(reservedOpcode, ProtocolError, endOfStream: false);
        await AssertServerClosesAsync(notUtf8, InvalidPayload, endOfStream: false);
        await good.SendAsync(good.Frame(Text, Heartbeat("after")));
        await AssertHeartbeatReplyAsync(good, "after");
    }

    private Task<RawWebSocket> OpenAsync(PushExTestHost? host = null) =>
        RawWebSocket.ConnectAsync((host ?? hosts.Default).SocketUri());

    /// <summary>A heartbeat with the given ref, padded with spaces to <paramref name="size"/> bytes when that is more than it takes.</summary>
    private static byte[] Heartbeat(string reference = "1", int size = 0)
    {
        var head = Encoding.UTF8.GetBytes($$"""[null,"{{reference}}","phoenix","heartbeat",{}""");
        var message = new byte[Math.Max(size, head.Length + 1)];
        head.CopyTo(message, 0);
        message.AsSpan(head.Length).Fill((byte)' ');
        message[^1] = (byte)']';
        return message;
    }

    /// <summary>The message as a text (or binary) frame followed by continuations, each at most <paramref name="fragmentBytes"/> long; FIN on the last.</summary>
    private static byte[] Fragmented(RawWebSocket client, byte[] message, int fragmentBytes, byte opcode = Text)
    {
        var frames = new List<byte>();
        var offset = 0;
        do
        {
            var length = Math.Min(fragmentBytes, message.Length - offset);
            frames.AddRange(client.Frame(offset == 0 ? opcode : Continuation, message.AsSpan(offset, length), fin: offset + length == message.Length));
            offset += length;
        }
        while (offset < message.Length);

        return [.. frames];
    }

    // The reply to a heartbeat (PROTOCOL.md §3.1), byte for byte; with a non-ASCII ref compared as JSON, as the
    // server may escape it.
    private static async Task AssertHeartbeatReplyAsync(RawWebSocket client, string reference = "1")
    {
        var frame = await client.ReceiveFrameAsync();
        Assert.True(frame is { Opcode: Text, Fin: true }, $"Expected the reply to heartbeat \"{reference}\", got {frame}.");
        var expected = $$$"""[null,"{{{reference}}}","phoenix","phx_reply",{"status":"ok","response":{}}]""";
        if (Ascii.IsValid(reference))
        {
            Assert.Equal(expected, frame.Text);
        }
        else
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(frame.Payload)), $"Expected the reply to heartbeat \"{reference}\", got {frame}.");
        }
    }

    private static Task AssertPongAsync(RawWebSocket client, ReadOnlySpan<byte> payload) => AssertPongAsync(client, payload.ToArray());

    private static async Task AssertPongAsync(RawWebSocket client, byte[] expected)
    {
        var frame = await client.ReceiveFrameAsync();
        Assert.True(frame is { Opcode: Pong, Fin: true }, $"Expected a pong, got {frame}.");
        Assert.Equal(expected, frame.Payload);
    }

    /// <summary>
    /// The server's close: the next frame is a close with <paramref name="expectedCode"/>; the client answers it (RFC
    /// 6455 §5.5.1) and the server then ends the connection cleanly, with nothing after its close frame. When
    /// <paramref name="endOfStream"/> is false, a reset is accepted as the end too (the server may have stopped
    /// reading mid-frame, leaving the client's bytes unread).
    /// </summary>
    private static async Task AssertServerClosesAsync(RawWebSocket client, ushort expectedCode, bool endOfStream = true)
    {
        await ReceiveCloseAsync(client, expectedCode);
        await AnswerCloseAsync(client, expectedCode);
        var end = await client.ReceiveEndAsync();
        Assert.True(!endOfStream || end == ConnectionEnd.EndOfStream, $"After its close ({expectedCode}) and the client's answer, the server ended TCP with a {end}, not a clean end of stream.");
    }

    // The next frame is a close (whole, as every control frame) with expectedCode.
    private static async Task ReceiveCloseAsync(RawWebSocket client, ushort expectedCode)
    {
        var frame = await client.ReceiveFrameAsync();
        Assert.True(frame is { Opcode: Close, Fin: true } && frame.CloseCode == expectedCode, $"Expected a close with {expectedCode}, got {frame}.");
    }

    // A server may end TCP right after its close without waiting for the answer; writing the answer then fails, harmlessly.
    private static async Task AnswerCloseAsync(RawWebSocket client, ushort code)
    {
        try
        {
            await client.SendAsync(client.CloseFrame(code));
        }
        catch (System.Net.Sockets.SocketException)
        {
            // The connection is already gone; ReceiveEndAsync tells how.
        }
    }
}
