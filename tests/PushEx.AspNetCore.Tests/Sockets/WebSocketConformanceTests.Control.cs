using System.Text;

namespace PushEx.AspNetCore.Tests.Sockets;

/// <summary>Ping and pong (RFC 6455 §5.5; Autobahn 2.x): echoed payloads, the 125-byte cap, no fragmented control frames.</summary>
public sealed partial class WebSocketConformanceTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(124)]
    [InlineData(125)]
    public async Task Ping_WithPayload_PongEchoesIt(int payloadBytes)
    {
        using var client = await OpenAsync();
        // Every byte value, not only text: a ping's payload is binary.
        var payload = Enumerable.Range(0, payloadBytes).Select(i => (byte)(255 - (i * 7 % 256))).ToArray();
        await client.SendFrameAsync(Ping, payload);
        await AssertPongAsync(client, payload);
    }

    [Fact]
    public async Task Ping_OneBytePerWrite_PongEchoesIt()
    {
        using var client = await OpenAsync();
        await client.SendAsync(client.Frame(Ping, "one byte at a time"u8), chunkBytes: 1);
        await AssertPongAsync(client, "one byte at a time"u8);
    }

    [Fact]
    public async Task Ping_With126BytePayload_ClosesWith1002()
    {
        using var client = await OpenAsync();
        await client.SendFrameAsync(Ping, new byte[126]);
        await AssertServerClosesAsync(client, ProtocolError);
    }

    [Theory]
    [InlineData(Ping)]
    [InlineData(Pong)]
    public async Task ControlFrame_Fragmented_ClosesWith1002(byte opcode)
    {
        using var client = await OpenAsync();
        await client.SendAsync((byte[])[.. client.Frame(opcode, "frag"u8, fin: false), .. client.Frame(Continuation, "ment"u8)]);
        await AssertServerClosesAsync(client, ProtocolError);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(125)]
    public async Task Pong_Unsolicited_IsIgnored(int payloadBytes)
    {
        using var client = await OpenAsync();
        await client.SendAsync((byte[])[.. client.Frame(Pong, new byte[payloadBytes]), .. client.Frame(Text, Heartbeat())]);
        await AssertHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task Pings_SeveralInARow_EachAnsweredInOrder()
    {
        using var client = await OpenAsync();
        const int Pings = 10;
        await client.SendAsync((byte[])[.. Enumerable.Range(0, Pings).SelectMany(i => client.Frame(Ping, Encoding.UTF8.GetBytes($"ping {i}"))), .. client.Frame(Text, Heartbeat())]);
        for (var i = 0; i < Pings; i++)
        {
            await AssertPongAsync(client, Encoding.UTF8.GetBytes($"ping {i}"));
        }

        await AssertHeartbeatReplyAsync(client);
    }
}
