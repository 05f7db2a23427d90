using System.Text.Json;
using NSubstitute;
using PushEx.Sockets;
using PushEx.Tests.Infrastructure;

namespace PushEx.Tests.Sockets;

public sealed partial class PushSocketTests
{
    private const string JoinOk3 = """["3","3","user-1","phx_reply",{"status":"ok","response":{}}]""";

    [Fact]
    public async Task HandleFrameAsync_JoinAllowed_RepliesOkAndSubscribes()
    {
        // §12 #15.
        var client = _node.Connect();

        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");

        Assert.Equal([JoinOk3], await client.WaitForTextFramesAsync(1));
        Assert.Equal([(client.Socket, (string?)"3")], _node.SubscribersOf("user-1"));
        Assert.Equal(1, _node.Topics.ChannelCount);
    }

    [Fact]
    public async Task HandleFrameAsync_Join_HandlerSeesTopicParamsAssignsAndSocketId()
    {
        var assigns = new Dictionary<string, object?> { ["user"] = "u1" };
        var client = _node.Connect(socketId: "user_socket:u1", assigns: assigns);

        await client.SendTextAsync("""["3","3","user-1","phx_join",{"token":"abc","n":[1]}]""");

        var context = Assert.Single(_node.JoinCalls);
        Assert.Equal("user-1", context.Topic);
        Assert.Equal("abc", context.Params.GetProperty("token").GetString());
        Assert.Equal(JsonValueKind.Array, context.Params.GetProperty("n").ValueKind);
        Assert.Same(assigns, context.Assigns);
        Assert.Equal("user_socket:u1", context.SocketId);
    }

    [Fact]
    public async Task HandleFrameAsync_JoinRefused_ErrorReplyNoCloseNotSubscribed()
    {
        // §12 #16.
        _node.JoinReturns("user-1", JoinResult.Error("unauthorized"));
        var client = _node.Connect();

        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");
        await client.SendTextAsync("""[null,"4","phoenix","heartbeat",{}]""");

        // The heartbeat reply coming second proves that no phx_close followed the refusal.
        Assert.Equal(
            [
                """["3","3","user-1","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}]""",
                """[null,"4","phoenix","phx_reply",{"status":"ok","response":{}}]""",
            ],
            await client.WaitForTextFramesAsync(2));
        Assert.False(_node.Topics.HasSubscribers("user-1"));
        Assert.Equal(0, _node.Topics.ChannelCount);
    }

    [Fact]
    public async Task HandleFrameAsync_JoinRefused_LaterEventIsUnmatchedTopic()
    {
        _node.JoinReturns("user-1", JoinResult.Error("unauthorized"));
        var client = _node.Connect();
        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");

        await client.SendTextAsync("""["3","4","user-1","new_msg",{}]""");

        var frames = await client.WaitForTextFramesAsync(2);
        Assert.Equal("""[null,"4","user-1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""", frames[1]);
    }

    [Fact]
    public async Task HandleFrameAsync_JoinRefusedWithObject_ResponseIsTheObject()
    {
        _node.JoinReturns("user-1", JoinResult.Error(new { reason = "expired", retry = false }));
        var client = _node.Connect();

        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");

        Assert.Equal(
            ["""["3","3","user-1","phx_reply",{"status":"error","response":{"reason":"expired","retry":false}}]"""],
            await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_JoinWithReply_ReplyInResponseAndStillSubscribed()
    {
        // DESIGN.md "Where we differ", 4: a join answered with a reply is a subscriber all the same.
        _node.JoinReturns("reply", JoinResult.Ok(new { hello = "world" }));
        var client = _node.Connect();

        await client.SendTextAsync("""["3","3","reply","phx_join",{}]""");

        Assert.Equal(
            ["""["3","3","reply","phx_reply",{"status":"ok","response":{"hello":"world"}}]"""],
            await client.WaitForTextFramesAsync(1));
        Assert.Equal([(client.Socket, (string?)"3")], _node.SubscribersOf("reply"));
    }

    [Fact]
    public async Task HandleFrameAsync_JoinHandlerThrows_JoinCrashedAndSocketStaysUsable()
    {
        // §12 #17.
        _node.JoinThrows("user-1", new InvalidOperationException("boom"));
        var client = _node.Connect();

        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");
        await client.SendTextAsync("""[null,"4","phoenix","heartbeat",{}]""");

        Assert.Equal(
            [
                """["3","3","user-1","phx_reply",{"status":"error","response":{"reason":"join crashed"}}]""",
                """[null,"4","phoenix","phx_reply",{"status":"ok","response":{}}]""",
            ],
            await client.WaitForTextFramesAsync(2));
        Assert.False(_node.Topics.HasSubscribers("user-1"));
        Assert.False(client.Socket.IsClosing);
    }

    [Fact]
    public async Task HandleFrameAsync_JoinHandlerFaultsAsynchronously_JoinCrashed()
    {
        var joined = new TaskCompletionSource<JoinResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _node.Handler.JoinAsync(Arg.Any<JoinContext>(), Arg.Any<CancellationToken>()).Returns(new ValueTask<JoinResult>(joined.Task));
        var client = _node.Connect();

        var handling = client.SendTextAsync("""["3","3","user-1","phx_join",{}]""").AsTask();
        joined.SetException(new InvalidOperationException("late boom"));
        await handling.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(
            ["""["3","3","user-1","phx_reply",{"status":"error","response":{"reason":"join crashed"}}]"""],
            await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_JoinHandlerThrowsOperationCanceledWithoutCancellation_JoinCrashed()
    {
        _node.JoinThrows("user-1", new OperationCanceledException());
        var client = _node.Connect();

        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");

        Assert.Equal(
            ["""["3","3","user-1","phx_reply",{"status":"error","response":{"reason":"join crashed"}}]"""],
            await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_JoinHandlerReturnsNull_JoinCrashed()
    {
        _node.JoinReturns("user-1", null!);
        var client = _node.Connect();

        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");

        Assert.Equal(
            ["""["3","3","user-1","phx_reply",{"status":"error","response":{"reason":"join crashed"}}]"""],
            await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_JoinNonStringTopic_UnmatchedTopicWithNullJoinRef()
    {
        // §12 #18.
        var client = _node.Connect();

        await client.SendTextAsync("""["3","3",42,"phx_join",{}]""");

        Assert.Equal(
            ["""[null,"3",42,"phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"""],
            await client.WaitForTextFramesAsync(1));
        Assert.Empty(_node.JoinCalls);
        Assert.Equal(0, _node.Topics.ChannelCount);
    }

    [Fact]
    public async Task HandleFrameAsync_BinaryJoin_HandlerGetsUndefinedParams()
    {
        // A binary payload is not JSON, so the handler sees no params; the reply is still a text frame.
        var client = _node.Connect();
        byte[] frame = [0x00, 0x01, 0x01, 0x01, 0x08, 0x33, 0x33, 0x74, .. "phx_join"u8, 0xFF];

        await client.SendBinaryAsync(frame);

        Assert.Equal(["""["3","3","t","phx_reply",{"status":"ok","response":{}}]"""], await client.WaitForTextFramesAsync(1));
        Assert.Equal(JsonValueKind.Undefined, Assert.Single(_node.JoinCalls).Params.ValueKind);
    }
}
