using PushEx.Sockets;
using PushEx.Tests.Infrastructure;

namespace PushEx.Tests.Sockets;

public sealed partial class PushSocketTests
{
    [Fact]
    public async Task HandleFrameAsync_DuplicateJoin_NewReplyThenOldCloseAndOnlyNewSubscribed()
    {
        // §3.2, §12 #19 and #33: last join wins; ok(B) is written before A's phx_close.
        var client = _node.Connect();

        await client.SendTextAsync("""["A","A","user-1","phx_join",{}]""");
        await client.SendTextAsync("""["B","B","user-1","phx_join",{}]""");

        Assert.Equal(
            [
                """["A","A","user-1","phx_reply",{"status":"ok","response":{}}]""",
                """["B","B","user-1","phx_reply",{"status":"ok","response":{}}]""",
                """["A","A","user-1","phx_close",{}]""",
            ],
            await client.WaitForTextFramesAsync(3));
        Assert.Equal([(client.Socket, (string?)"B")], _node.SubscribersOf("user-1"));
        Assert.Equal(1, _node.Topics.ChannelCount);
    }

    [Fact]
    public async Task HandleFrameAsync_DuplicateJoin_OldJoinRefIsStaleAfterwards()
    {
        var client = _node.Connect();
        await client.SendTextAsync("""["A","A","user-1","phx_join",{}]""");
        await client.SendTextAsync("""["B","B","user-1","phx_join",{}]""");

        await client.SendTextAsync("""["A","5","user-1","phx_leave",{}]""");
        await client.SendTextAsync("""["B","6","user-1","phx_leave",{}]""");

        var frames = await client.WaitForTextFramesAsync(5);
        Assert.Equal("""["B","6","user-1","phx_reply",{"status":"ok","response":{}}]""", frames[3]);
        Assert.Equal("""["B","B","user-1","phx_close",{}]""", frames[4]);
    }

    [Fact]
    public async Task HandleFrameAsync_DuplicateJoinRefused_OldChannelClosedAnyway()
    {
        // The old channel is shut down before the new join runs, as in Phoenix; a refused rejoin leaves none.
        var client = _node.Connect();
        await client.SendTextAsync("""["A","A","user-1","phx_join",{}]""");
        _node.JoinReturns("user-1", JoinResult.Error("unauthorized"));

        await client.SendTextAsync("""["B","B","user-1","phx_join",{}]""");

        Assert.Equal(
            [
                """["A","A","user-1","phx_reply",{"status":"ok","response":{}}]""",
                """["B","B","user-1","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}]""",
                """["A","A","user-1","phx_close",{}]""",
            ],
            await client.WaitForTextFramesAsync(3));
        Assert.False(_node.Topics.HasSubscribers("user-1"));
    }

    [Fact]
    public async Task HandleFrameAsync_JoinLeaveJoinBurst_EachAnsweredAndOneClose()
    {
        // §12 #20 and #32: a buffered join, leave and rejoin arriving back to back.
        var client = _node.Connect();

        await client.SendTextAsync("""["A","A","user-1","phx_join",{}]""");
        await client.SendTextAsync("""["A","2","user-1","phx_leave",{}]""");
        await client.SendTextAsync("""["B","B","user-1","phx_join",{}]""");
        await client.SendTextAsync("""[null,"9","phoenix","heartbeat",{}]""");

        Assert.Equal(
            [
                """["A","A","user-1","phx_reply",{"status":"ok","response":{}}]""",
                """["A","2","user-1","phx_reply",{"status":"ok","response":{}}]""",
                """["A","A","user-1","phx_close",{}]""",
                """["B","B","user-1","phx_reply",{"status":"ok","response":{}}]""",
                """[null,"9","phoenix","phx_reply",{"status":"ok","response":{}}]""",
            ],
            await client.WaitForTextFramesAsync(5));
        Assert.Equal([(client.Socket, (string?)"B")], _node.SubscribersOf("user-1"));
    }

    [Fact]
    public async Task HandleFrameAsync_LeaveWithTimedOutJoinRefThenRejoin_CloseThenOk()
    {
        // §12 #34: the client gave up waiting for join A and leaves with J = A after A was answered.
        var client = _node.Connect();
        await client.SendTextAsync("""["A","A","user-1","phx_join",{}]""");

        await client.SendTextAsync("""["A","7","user-1","phx_leave",{}]""");
        await client.SendTextAsync("""["B","B","user-1","phx_join",{}]""");

        var frames = await client.WaitForTextFramesAsync(4);
        Assert.Equal(
            [
                """["A","7","user-1","phx_reply",{"status":"ok","response":{}}]""",
                """["A","A","user-1","phx_close",{}]""",
                """["B","B","user-1","phx_reply",{"status":"ok","response":{}}]""",
            ],
            frames[1..]);
        Assert.Equal([(client.Socket, (string?)"B")], _node.SubscribersOf("user-1"));
    }

    [Fact]
    public async Task HandleFrameAsync_JoinPastChannelLimit_TooManyChannelsWithRequestRefs()
    {
        // §12 #21, with the limit lowered to 2.
        var node = new SocketHarness(options => options.MaxChannelsPerSocket = 2);
        var client = node.Connect();
        await client.SendTextAsync("""["1","1","t1","phx_join",{}]""");
        await client.SendTextAsync("""["2","2","t2","phx_join",{}]""");

        await client.SendTextAsync("""["5","6","t3","phx_join",{}]""");

        var frames = await client.WaitForTextFramesAsync(3);
        Assert.Equal("""["5","6","t3","phx_reply",{"status":"error","response":{"reason":"too many channels joined"}}]""", frames[2]);
        Assert.False(node.Topics.HasSubscribers("t3"));
        Assert.Equal(2, node.Topics.ChannelCount);
        Assert.Equal(["t1", "t2"], node.JoinCalls.Select(context => context.Topic));
    }

    [Fact]
    public async Task HandleFrameAsync_DuplicateJoinAtChannelLimit_Allowed()
    {
        var node = new SocketHarness(options => options.MaxChannelsPerSocket = 2);
        var client = node.Connect();
        await client.SendTextAsync("""["1","1","t1","phx_join",{}]""");
        await client.SendTextAsync("""["2","2","t2","phx_join",{}]""");

        await client.SendTextAsync("""["3","3","t1","phx_join",{}]""");

        var frames = await client.WaitForTextFramesAsync(4);
        Assert.Equal("""["3","3","t1","phx_reply",{"status":"ok","response":{}}]""", frames[2]);
        Assert.Equal("""["1","1","t1","phx_close",{}]""", frames[3]);
        Assert.Equal([(client.Socket, (string?)"3")], node.SubscribersOf("t1"));
        Assert.Equal(2, node.Topics.ChannelCount);
    }

    [Fact]
    public async Task HandleFrameAsync_JoinAfterLeaveAtChannelLimit_Allowed()
    {
        var node = new SocketHarness(options => options.MaxChannelsPerSocket = 2);
        var client = node.Connect();
        await client.SendTextAsync("""["1","1","t1","phx_join",{}]""");
        await client.SendTextAsync("""["2","2","t2","phx_join",{}]""");
        await client.SendTextAsync("""["2","3","t2","phx_leave",{}]""");

        await client.SendTextAsync("""["4","4","t3","phx_join",{}]""");

        var frames = await client.WaitForTextFramesAsync(5);
        Assert.Equal("""["4","4","t3","phx_reply",{"status":"ok","response":{}}]""", frames[4]);
        Assert.True(node.Topics.HasSubscribers("t3"));
    }

    [Fact]
    public async Task HandleFrameAsync_RefusedJoins_DoNotCountAgainstTheLimit()
    {
        var node = new SocketHarness(options => options.MaxChannelsPerSocket = 1);
        node.JoinReturns("forbidden", JoinResult.Error("unauthorized"));
        var client = node.Connect();
        await client.SendTextAsync("""["1","1","forbidden","phx_join",{}]""");

        await client.SendTextAsync("""["2","2","t1","phx_join",{}]""");

        var frames = await client.WaitForTextFramesAsync(2);
        Assert.Equal("""["2","2","t1","phx_reply",{"status":"ok","response":{}}]""", frames[1]);
    }
}
