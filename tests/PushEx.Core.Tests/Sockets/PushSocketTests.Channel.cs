namespace PushEx.Tests.Sockets;

public sealed partial class PushSocketTests
{
    private const string UnsupportedEvent = """{"status":"error","response":{"reason":"unsupported event"}}""";

    [Fact]
    public async Task HandleFrameAsync_EventOnTopicNeverJoined_UnmatchedTopicWithNullJoinRef()
    {
        // §12 #22.
        var client = _node.Connect();

        await client.SendTextAsync("""["5","6","room","new_msg",{}]""");

        Assert.Equal(
            ["""[null,"6","room","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"""],
            await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_EventOnNonStringTopic_UnmatchedTopicEchoesTopic()
    {
        var client = _node.Connect();

        await client.SendTextAsync("""["5","6",[1],"new_msg",{}]""");

        Assert.Equal(
            ["""[null,"6",[1],"phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"""],
            await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_EventAfterLeave_UnmatchedTopic()
    {
        // §12 #23.
        var client = _node.Connect();
        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");
        await client.SendTextAsync("""["3","4","user-1","phx_leave",{}]""");

        await client.SendTextAsync("""["3","5","user-1","new_msg",{}]""");

        var frames = await client.WaitForTextFramesAsync(4);
        Assert.Equal("""[null,"5","user-1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""", frames[3]);
    }

    [Theory]
    [InlineData("\"3\"")]
    [InlineData("null")]
    public async Task HandleFrameAsync_EventOnJoinedTopicMatchingOrNullJoinRef_UnsupportedEventAndStillJoined(string joinRef)
    {
        // §12 #24, #25 and #27. PushEx channels take no client pushes; unlike the original (which crashed the
        // channel with phx_error), the reply is an error carrying the channel's join ref and the channel stays.
        var client = _node.Connect();
        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");

        await client.SendTextAsync($$"""[{{joinRef}},"4","user-1","msg",{"x":1}]""");
        await client.SendTextAsync("""[null,"5","phoenix","heartbeat",{}]""");

        Assert.Equal(
            [
                JoinOk3,
                $$"""["3","4","user-1","phx_reply",{{UnsupportedEvent}}]""",
                """[null,"5","phoenix","phx_reply",{"status":"ok","response":{}}]""",
            ],
            await client.WaitForTextFramesAsync(3));
        Assert.Equal([(client.Socket, (string?)"3")], _node.SubscribersOf("user-1"));
    }

    [Fact]
    public async Task HandleFrameAsync_EventWithStaleJoinRef_NoFrameAtAll()
    {
        // §3.3 and §12 #26: silently dropped. The heartbeat reply being the next frame proves nothing was written.
        var client = _node.Connect();
        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");

        await client.SendTextAsync("""["1","4","user-1","new_msg",{}]""");
        await client.SendTextAsync("""[null,"5","phoenix","heartbeat",{}]""");

        Assert.Equal(
            [JoinOk3, """[null,"5","phoenix","phx_reply",{"status":"ok","response":{}}]"""],
            await client.WaitForTextFramesAsync(2));
        Assert.Equal([(client.Socket, (string?)"3")], _node.SubscribersOf("user-1"));
    }

    [Fact]
    public async Task HandleFrameAsync_BinaryPushWithMissingJoinRef_DroppedAsStale()
    {
        // §2.4: a binary push without join_ref decodes as "", which is not the channel's join ref.
        var client = _node.Connect();
        await client.SendTextAsync("""["3","3","t","phx_join",{}]""");

        await client.SendBinaryAsync([0x00, 0x00, 0x01, 0x01, 0x01, 0x34, 0x74, 0x65, 0x01]);
        await client.SendTextAsync("""[null,"5","phoenix","heartbeat",{}]""");

        var frames = await client.WaitForTextFramesAsync(2);
        Assert.Equal("""[null,"5","phoenix","phx_reply",{"status":"ok","response":{}}]""", frames[1]);
    }

    [Fact]
    public async Task HandleFrameAsync_BinaryPushWithMatchingJoinRef_UnsupportedEventAsText()
    {
        var client = _node.Connect();
        await client.SendTextAsync("""["1","1","t","phx_join",{}]""");

        await client.SendBinaryAsync([0x00, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0x65, 0x01]);

        var frames = await client.WaitForTextFramesAsync(2);
        Assert.Equal($$"""["1","2","t","phx_reply",{{UnsupportedEvent}}]""", frames[1]);
    }

    [Fact]
    public async Task HandleFrameAsync_LeaveJoinedTopic_OkThenClose()
    {
        // §3.4 and §12 #28.
        var client = _node.Connect();
        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");

        await client.SendTextAsync("""["3","8","user-1","phx_leave",{}]""");

        Assert.Equal(
            [
                JoinOk3,
                """["3","8","user-1","phx_reply",{"status":"ok","response":{}}]""",
                """["3","3","user-1","phx_close",{}]""",
            ],
            await client.WaitForTextFramesAsync(3));
        Assert.False(_node.Topics.HasSubscribers("user-1"));
        Assert.Equal(0, _node.Topics.ChannelCount);
    }

    [Fact]
    public async Task HandleFrameAsync_LeaveWithNullJoinRef_FramesCarryChannelJoinRef()
    {
        // §12 #29 (1.8.12 behaviour).
        var client = _node.Connect();
        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");

        await client.SendTextAsync("""[null,"8","user-1","phx_leave",{}]""");

        Assert.Equal(
            [
                JoinOk3,
                """["3","8","user-1","phx_reply",{"status":"ok","response":{}}]""",
                """["3","3","user-1","phx_close",{}]""",
            ],
            await client.WaitForTextFramesAsync(3));
        Assert.False(_node.Topics.HasSubscribers("user-1"));
    }

    [Fact]
    public async Task HandleFrameAsync_LeaveWithStaleJoinRef_NoFrameAndStillJoined()
    {
        // §12 #30.
        var client = _node.Connect();
        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");

        await client.SendTextAsync("""["1","8","user-1","phx_leave",{}]""");
        await client.SendTextAsync("""[null,"9","phoenix","heartbeat",{}]""");

        Assert.Equal(
            [JoinOk3, """[null,"9","phoenix","phx_reply",{"status":"ok","response":{}}]"""],
            await client.WaitForTextFramesAsync(2));
        Assert.Equal([(client.Socket, (string?)"3")], _node.SubscribersOf("user-1"));
    }

    [Fact]
    public async Task HandleFrameAsync_LeaveTopicNotJoined_OkEchoingJoinRefNoClose()
    {
        // §12 #31.
        var client = _node.Connect();

        await client.SendTextAsync("""["7","8","x","phx_leave",{}]""");
        await client.SendTextAsync("""[null,"9","phoenix","heartbeat",{}]""");

        Assert.Equal(
            [
                """["7","8","x","phx_reply",{"status":"ok","response":{}}]""",
                """[null,"9","phoenix","phx_reply",{"status":"ok","response":{}}]""",
            ],
            await client.WaitForTextFramesAsync(2));
    }

    [Fact]
    public async Task HandleFrameAsync_LeaveNonStringTopic_OkEchoingTopic()
    {
        var client = _node.Connect();

        await client.SendTextAsync("""[null,"8",42,"phx_leave",{}]""");

        Assert.Equal(["""[null,"8",42,"phx_reply",{"status":"ok","response":{}}]"""], await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_LeaveOneOfTwoTopics_OtherStaysJoined()
    {
        var client = _node.Connect();
        await client.SendTextAsync("""["1","1","a","phx_join",{}]""");
        await client.SendTextAsync("""["2","2","b","phx_join",{}]""");

        await client.SendTextAsync("""["1","3","a","phx_leave",{}]""");
        await client.SendTextAsync("""["2","4","b","new_msg",{}]""");

        var frames = await client.WaitForTextFramesAsync(5);
        Assert.Equal($$"""["2","4","b","phx_reply",{{UnsupportedEvent}}]""", frames[4]);
        Assert.False(_node.Topics.HasSubscribers("a"));
        Assert.Equal([(client.Socket, (string?)"2")], _node.SubscribersOf("b"));
    }

    [Fact]
    public async Task HandleFrameAsync_SameTopicOnTwoSockets_IndependentChannels()
    {
        var first = _node.Connect();
        var second = _node.Connect();
        await first.SendTextAsync("""["1","1","t","phx_join",{}]""");
        await second.SendTextAsync("""["9","9","t","phx_join",{}]""");

        await first.SendTextAsync("""["1","2","t","phx_leave",{}]""");

        await first.WaitForTextFramesAsync(3);
        Assert.Equal([(second.Socket, (string?)"9")], _node.SubscribersOf("t"));
        Assert.Equal(1, _node.Topics.ChannelCount);
    }
}
