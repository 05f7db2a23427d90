using NSubstitute;
using PushEx.Protocol;
using PushEx.Sockets;
using PushEx.Tests.Infrastructure;

namespace PushEx.Tests.Sockets;

/// <summary>
/// The Phoenix socket state machine (PROTOCOL.md §3), driven frame by frame over an in-memory transport. Frames quoted
/// here are the exact ones of PROTOCOL.md §2.2, §3 and the conformance checklist §12.
/// </summary>
public sealed partial class PushSocketTests
{
    private const string HeartbeatReply1 = """[null,"1","phoenix","phx_reply",{"status":"ok","response":{}}]""";

    private readonly SocketHarness _node = new();

    [Fact]
    public async Task HandleFrameAsync_HeartbeatNothingJoined_RepliesOkWithNullJoinRef()
    {
        // §12 #12.
        var client = _node.Connect();

        await client.SendTextAsync("""[null,"1","phoenix","heartbeat",{}]""");

        Assert.Equal([HeartbeatReply1], await client.WaitForTextFramesAsync(1));
        Assert.Empty(_node.Handler.ReceivedCalls());
    }

    [Fact]
    public async Task HandleFrameAsync_HeartbeatWithJoinRef_ReplyJoinRefStillNull()
    {
        // §12 #13.
        var client = _node.Connect();

        await client.SendTextAsync("""["9","1","phoenix","heartbeat",{}]""");

        Assert.Equal([HeartbeatReply1], await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_HeartbeatWithNullRef_ReplyRefNull()
    {
        // §12 #14.
        var client = _node.Connect();

        await client.SendTextAsync("""[null,null,"phoenix","heartbeat",{}]""");

        Assert.Equal(["""[null,null,"phoenix","phx_reply",{"status":"ok","response":{}}]"""], await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_HeartbeatPayload_Ignored()
    {
        var client = _node.Connect();

        await client.SendTextAsync("""[null,"1","phoenix","heartbeat",{"status":"error","x":[1]}]""");

        Assert.Equal([HeartbeatReply1], await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_HeartbeatWhileTopicPhoenixJoined_AnsweredBySocket()
    {
        // §3.1: the heartbeat is handled before any topic lookup, even with a channel on "phoenix".
        var client = _node.Connect();
        await client.SendTextAsync("""["3","3","phoenix","phx_join",{}]""");

        await client.SendTextAsync("""["3","4","phoenix","heartbeat",{}]""");

        var frames = await client.WaitForTextFramesAsync(2);
        Assert.Equal("""[null,"4","phoenix","phx_reply",{"status":"ok","response":{}}]""", frames[1]);
    }

    [Fact]
    public async Task HandleFrameAsync_EventOtherThanHeartbeatOnPhoenix_UnmatchedTopic()
    {
        var client = _node.Connect();

        await client.SendTextAsync("""[null,"1","phoenix","ping",{}]""");

        Assert.Equal(
            ["""[null,"1","phoenix","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"""],
            await client.WaitForTextFramesAsync(1));
    }

    [Theory]
    [InlineData("""[null,"1","phoenix","heartbeat"]""")]
    [InlineData("""not json""")]
    [InlineData("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"1"}""")]
    [InlineData("""[null,"1","phoenix",7,{}]""")]
    public async Task HandleFrameAsync_MalformedText_ClosesWithProtocolErrorAndNoReply(string frame)
    {
        // §2.2 and §12 #50: never answered with a frame; the connection is closed (1002).
        var client = _node.Connect();

        await client.SendTextAsync(frame);

        var close = await client.Transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.ProtocolError, close.Code);
        Assert.Equal(0, close.FramesBefore);
        Assert.True(client.Socket.IsClosing);
        await client.Socket.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.Empty(client.Transport.Frames);
    }

    [Theory]
    [InlineData(new byte[] { 0x01, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0x65, 0x01 })]
    [InlineData(new byte[] { 0x00, 0x01, 0x01 })]
    public async Task HandleFrameAsync_MalformedBinary_ClosesWithProtocolError(byte[] frame)
    {
        var client = _node.Connect();

        await client.SendBinaryAsync(frame);

        var close = await client.Transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.ProtocolError, close.Code);
        Assert.Equal(0, close.FramesBefore);
    }

    [Fact]
    public async Task HandleFrameAsync_MalformedAfterReply_ReplyWrittenBeforeClose()
    {
        var client = _node.Connect();
        await client.SendTextAsync("""[null,"1","phoenix","heartbeat",{}]""");

        await client.SendTextAsync("""[null,"2","phoenix"]""");

        var close = await client.Transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.ProtocolError, close.Code);
        Assert.Equal(1, close.FramesBefore);
        Assert.Equal([HeartbeatReply1], await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_AfterClose_NothingMoreWritten()
    {
        var client = _node.Connect();
        client.Socket.Close(SocketCloseCode.GoingAway, "bye");

        await client.SendTextAsync("""[null,"1","phoenix","heartbeat",{}]""");

        var close = await client.Transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.GoingAway, close.Code);
        Assert.Equal("bye", close.Reason);
        await client.Socket.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.Empty(client.Transport.Frames);
    }

    [Fact]
    public async Task Close_Twice_OnlyFirstCodeCounts()
    {
        var client = _node.Connect();

        client.Socket.Close(SocketCloseCode.GoingAway, "first");
        client.Socket.Close(SocketCloseCode.ProtocolError, "second");

        var close = await client.Transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.GoingAway, close.Code);
        Assert.Equal("first", close.Reason);
        await client.Socket.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(1, client.Transport.CloseCalls);
    }

    [Fact]
    public void Constructor_Properties_KeptFromConnect()
    {
        var assigns = new Dictionary<string, object?> { ["user"] = "u1" };

        var client = _node.Connect(V1JsonSerializer.Instance, socketId: "user_socket:u1", presenceIdentifier: "u1", assigns: assigns);

        Assert.Same(assigns, client.Socket.Assigns);
        Assert.Equal("user_socket:u1", client.Socket.SocketId);
        Assert.Equal("u1", client.Socket.PresenceIdentifier);
        Assert.Equal(_node.Time.GetUtcNow(), client.Socket.ConnectedAt);
        Assert.Equal(ProtocolVersion.V1, client.Socket.Version);
        Assert.False(client.Socket.IsClosing);
    }

    [Fact]
    public void Open_RegistersSocketWithTheNode()
    {
        var client = _node.Connect(socketId: "s");

        Assert.Equal(1, _node.Sockets.Count);
        Assert.Contains(client.Socket, _node.Sockets.Sockets);
        Assert.Equal([client.Socket], _node.Sockets.WithSocketId("s"));
    }

    [Fact]
    public async Task OnClosed_JoinedTopics_RemovesSubscriptionsAndSocket()
    {
        var client = _node.Connect(socketId: "s");
        var other = _node.Connect();
        await client.SendTextAsync("""["1","1","a","phx_join",{}]""");
        await client.SendTextAsync("""["2","2","b","phx_join",{}]""");
        await other.SendTextAsync("""["7","7","a","phx_join",{}]""");
        Assert.Equal(3, _node.Topics.ChannelCount);

        await client.Socket.OnClosedAsync();

        Assert.Equal(1, _node.Topics.ChannelCount);
        Assert.Equal([(other.Socket, (string?)"7")], _node.SubscribersOf("a"));
        Assert.False(_node.Topics.HasSubscribers("b"));
        Assert.Equal(1, _node.Sockets.Count);
        Assert.DoesNotContain(client.Socket, _node.Sockets.Sockets);
        Assert.Empty(_node.Sockets.WithSocketId("s"));
    }

    [Fact]
    public async Task OnClosed_CalledTwice_SecondCallChangesNothing()
    {
        var client = _node.Connect();
        await client.SendTextAsync("""["1","1","a","phx_join",{}]""");
        await client.Socket.OnClosedAsync();

        await client.Socket.OnClosedAsync();

        Assert.Equal(0, _node.Topics.ChannelCount);
        Assert.Equal(0, _node.Sockets.Count);
    }

    [Fact]
    public void MarkActivity_FakeClockAdvanced_TimestampMoves()
    {
        var client = _node.Connect();
        var before = client.Socket.LastReceivedTimestamp;
        _node.Time.Advance(TimeSpan.FromSeconds(3));

        client.Socket.MarkActivity();

        Assert.Equal(TimeSpan.FromSeconds(3), _node.Time.GetElapsedTime(before, client.Socket.LastReceivedTimestamp));
    }

    [Fact]
    public async Task Send_Frame_WrittenToTransport()
    {
        var client = _node.Connect();

        Assert.True(client.Socket.Send(new OutboundFrame(new byte[] { 0x00, 0x01 }, isBinary: true)));

        var frames = await client.Transport.WaitForFramesAsync(1);
        Assert.True(frames[0].IsBinary);
        Assert.Equal([0x00, 0x01], frames[0].Data);
    }

    [Fact]
    public void Send_AfterClose_ReturnsFalse()
    {
        var client = _node.Connect();
        client.Socket.Close(SocketCloseCode.GoingAway, "bye");

        Assert.False(client.Socket.Send(new OutboundFrame(new byte[] { 0x01 }, isBinary: true)));
    }
}
