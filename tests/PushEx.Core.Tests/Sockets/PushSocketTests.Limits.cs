using PushEx.Tests.Infrastructure;

namespace PushEx.Tests.Sockets;

/// <summary>Issue 15: limits on what a client chooses. A join over a limit is refused; the socket and others go on.</summary>
public sealed partial class PushSocketTests
{
    [Fact]
    public async Task HandleFrameAsync_JoinTopicOverMaxTopicLength_RepliesTopicTooLongAndSocketStays()
    {
        var node = new SocketHarness(options => options.MaxTopicLength = 8);
        var client = node.Connect();
        var other = node.Connect();

        // Counted in UTF-8 bytes: "ééééé" is 5 characters but 10 bytes.
        await client.SendTextAsync("""["1","1","ééééé","phx_join",{}]""");
        await client.SendTextAsync("""["2","2","12345678","phx_join",{}]""");
        await other.SendTextAsync("""["1","1","t","phx_join",{}]""");

        Assert.Equal(
            [
                """["1","1","ééééé","phx_reply",{"status":"error","response":{"reason":"topic too long"}}]""",
                """["2","2","12345678","phx_reply",{"status":"ok","response":{}}]""",
            ],
            await client.WaitForTextFramesAsync(2));
        Assert.Equal(["""["1","1","t","phx_reply",{"status":"ok","response":{}}]"""], await other.WaitForTextFramesAsync(1));
        Assert.False(client.Socket.IsClosing);
        Assert.Equal(["12345678", "t"], node.JoinCalls.Select(call => call.Topic));
        Assert.Empty(node.SubscribersOf("ééééé"));
        Assert.Empty(node.Logs.WarningsOrAbove);
    }
}
