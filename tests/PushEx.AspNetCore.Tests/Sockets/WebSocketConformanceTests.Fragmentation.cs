namespace PushEx.AspNetCore.Tests.Sockets;

/// <summary>Fragmentation (RFC 6455 §5.4; Autobahn 5.x): continuations, empty fragments, control frames in between.</summary>
public sealed partial class WebSocketConformanceTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(HeartbeatBytes - 1)]
    public async Task Text_InFragments_IsAnswered(int fragmentBytes)
    {
        using var client = await OpenAsync();
        await client.SendAsync(Fragmented(client, Heartbeat(), fragmentBytes));
        await AssertHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task Text_InFragmentsOneBytePerWrite_IsAnswered()
    {
        using var client = await OpenAsync();
        await client.SendAsync(Fragmented(client, Heartbeat(), fragmentBytes: 5), chunkBytes: 1);
        await AssertHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task Text_WithEmptyFragments_IsAnswered()
    {
        // Empty first, middle and last fragments.
        using var client = await OpenAsync();
        var heartbeat = Heartbeat();
        await client.SendAsync((byte[])
        [
            .. client.Frame(Text, [], fin: false),
            .. client.Frame(Continuation, heartbeat.AsSpan(0, 10), fin: false),
            .. client.Frame(Continuation, [], fin: false),
            .. client.Frame(Continuation, heartbeat.AsSpan(10), fin: false),
            .. client.Frame(Continuation, [], fin: true),
        ]);
        await AssertHeartbeatReplyAsync(client);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    public async Task Text_WithPingBetweenFragments_PongComesFirstThenTheReply(int bytesPerWrite)
    {
        using var client = await OpenAsync();
        var heartbeat = Heartbeat();
        await client.SendAsync(
            (byte[])
            [
                .. client.Frame(Text, heartbeat.AsSpan(0, 10), fin: false),
                .. client.Frame(Ping, "between"u8),
                .. client.Frame(Continuation, heartbeat.AsSpan(10), fin: true),
            ],
            bytesPerWrite);
        await AssertPongAsync(client, "between"u8);
        await AssertHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task Text_WithPongBetweenFragments_IsAnswered()
    {
        using var client = await OpenAsync();
        var heartbeat = Heartbeat();
        await client.SendAsync((byte[])
        [
            .. client.Frame(Text, heartbeat.AsSpan(0, 10), fin: false),
            .. client.Frame(Pong, "unsolicited"u8),
            .. client.Frame(Continuation, heartbeat.AsSpan(10), fin: true),
        ]);
        await AssertHeartbeatReplyAsync(client);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Continuation_WithNoMessageStarted_ClosesWith1002(bool fin)
    {
        // A heartbeat after it must not be answered.
        using var client = await OpenAsync();
        await client.SendAsync((byte[])[.. client.Frame(Continuation, Heartbeat(), fin: fin), .. client.Frame(Text, Heartbeat())]);
        await AssertServerClosesAsync(client, ProtocolError);
    }

    [Fact]
    public async Task Continuation_AfterACompleteMessage_ClosesWith1002()
    {
        using var client = await OpenAsync();
        await client.SendFrameAsync(Text, Heartbeat());
        await AssertHeartbeatReplyAsync(client);
        await client.SendFrameAsync(Continuation, Heartbeat("2"));
        await AssertServerClosesAsync(client, ProtocolError);
    }

    [Theory]
    [InlineData(Text)]
    [InlineData(Binary)]
    public async Task DataFrame_WhileAFragmentedMessageIsOpen_ClosesWith1002(byte opcode)
    {
        using var client = await OpenAsync();
        var heartbeat = Heartbeat();
        await client.SendAsync((byte[])[.. client.Frame(Text, heartbeat.AsSpan(0, 10), fin: false), .. client.Frame(opcode, heartbeat)]);
        await AssertServerClosesAsync(client, ProtocolError);
    }
}
