using NSubstitute;
using PushEx.Protocol;
using PushEx.Sockets;

namespace PushEx.Tests.Sockets;

/// <summary>A socket that negotiated vsn 1.0.x: object frames, never a join_ref in output (PROTOCOL.md §2.3).</summary>
public sealed partial class PushSocketTests
{
    [Fact]
    public async Task HandleFrameAsync_V1Heartbeat_ObjectReply()
    {
        var client = _node.Connect(V1JsonSerializer.Instance);

        await client.SendTextAsync("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"2"}""");

        Assert.Equal(
            ["""{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"2"}"""],
            await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_V1Join_ReplyHasNoJoinRef()
    {
        // §12 #59.
        var client = _node.Connect(V1JsonSerializer.Instance);

        await client.SendTextAsync("""{"topic":"t","event":"phx_join","payload":{},"ref":"1"}""");

        Assert.Equal(
            ["""{"topic":"t","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"1"}"""],
            await client.WaitForTextFramesAsync(1));
        Assert.Equal([(client.Socket, (string?)null)], _node.SubscribersOf("t"));
    }

    [Fact]
    public async Task HandleFrameAsync_V1JoinWithJoinRefThenLeave_NoJoinRefInAnyFrame()
    {
        var client = _node.Connect(V1JsonSerializer.Instance);
        await client.SendTextAsync("""{"topic":"t","event":"phx_join","payload":{},"ref":"1","join_ref":"1"}""");

        await client.SendTextAsync("""{"topic":"t","event":"phx_leave","payload":{},"ref":"2","join_ref":"1"}""");

        Assert.Equal(
            [
                """{"topic":"t","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"1"}""",
                """{"topic":"t","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"2"}""",
                """{"topic":"t","event":"phx_close","payload":{},"ref":"1"}""",
            ],
            await client.WaitForTextFramesAsync(3));
        Assert.False(_node.Topics.HasSubscribers("t"));
    }

    [Fact]
    public async Task HandleFrameAsync_V1MissingRef_ClosesWithProtocolError()
    {
        var client = _node.Connect(V1JsonSerializer.Instance);

        await client.SendTextAsync("""{"topic":"t","event":"phx_join","payload":{}}""");

        var close = await client.Transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.ProtocolError, close.Code);
        Assert.Equal(0, close.FramesBefore);
        await _node.Handler.DidNotReceive().JoinAsync(Arg.Any<JoinContext>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task HandleFrameAsync_V1Binary_ClosesWithProtocolError()
    {
        var client = _node.Connect(V1JsonSerializer.Instance);

        await client.SendBinaryAsync([0x00, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0x65, 0x01]);

        Assert.Equal(SocketCloseCode.ProtocolError, (await client.Transport.WaitForCloseAsync()).Code);
    }
}
