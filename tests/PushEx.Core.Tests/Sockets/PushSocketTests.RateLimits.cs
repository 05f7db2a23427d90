using Microsoft.Extensions.Logging;
using PushEx.Sockets;
using PushEx.Tests.Infrastructure;

namespace PushEx.Tests.Sockets;

/// <summary>
/// Issue 15: the rates one socket is held to. A join storm is refused join by join and the socket goes on; a frame
/// storm closes the socket with 1008. Either way the other sockets of the node are untouched.
/// </summary>
public sealed partial class PushSocketTests
{
    private const string HeartbeatFrame = """[null,"1","phoenix","heartbeat",{}]""";

    private static KeyValuePair<string, object?> LimitTag(string option) => new("pushex.limit", option);

    [Fact]
    public async Task HandleFrameAsync_JoinsOverJoinBurst_RefusedWithTooManyJoins_SocketAndOthersGoOn()
    {
        var node = new SocketHarness(options =>
        {
            options.MaxJoinsPerSecond = 2;
            options.JoinBurst = 3;
        });
        using var exceeded = new CounterRecorder(node.Metrics.Meter, "pushex.limits.exceeded", LimitTag("MaxJoinsPerSecond"));
        var client = node.Connect();
        var other = node.Connect();

        await client.SendTextAsync("""["1","1","a","phx_join",{}]""");
        await client.SendTextAsync("""["2","2","b","phx_join",{}]""");
        await client.SendTextAsync("""["3","3","c","phx_join",{}]""");
        await client.SendTextAsync("""["4","4","d","phx_join",{}]""");
        // Refused before last-join-wins: the joined channel a keeps its join ref and is not closed.
        await client.SendTextAsync("""["5","5","a","phx_join",{}]""");
        await client.SendTextAsync(HeartbeatFrame);
        await other.SendTextAsync("""["1","1","d","phx_join",{}]""");

        Assert.Equal(
            [
                """["1","1","a","phx_reply",{"status":"ok","response":{}}]""",
                """["2","2","b","phx_reply",{"status":"ok","response":{}}]""",
                """["3","3","c","phx_reply",{"status":"ok","response":{}}]""",
                """["4","4","d","phx_reply",{"status":"error","response":{"reason":"too many joins"}}]""",
                """["5","5","a","phx_reply",{"status":"error","response":{"reason":"too many joins"}}]""",
                HeartbeatReply1,
            ],
            await client.WaitForTextFramesAsync(6));
        Assert.Equal(["""["1","1","d","phx_reply",{"status":"ok","response":{}}]"""], await other.WaitForTextFramesAsync(1));
        Assert.Equal(["a", "b", "c", "d"], node.JoinCalls.Select(call => call.Topic));
        Assert.Equal([(client.Socket, "1")], node.SubscribersOf("a"));
        Assert.Equal(2, exceeded.Total);

        // Half a second at 2 per second refills one join: the socket that stormed joins again.
        node.Time.Advance(TimeSpan.FromMilliseconds(500));
        await client.SendTextAsync("""["6","6","d","phx_join",{}]""");

        Assert.Equal("""["6","6","d","phx_reply",{"status":"ok","response":{}}]""", (await client.WaitForTextFramesAsync(7))[6]);
        Assert.False(client.Socket.IsClosing);
        Assert.Equal(2, node.SubscribersOf("d").Count);
        // One Debug line for the run of refusals, not one per refused join.
        Assert.Single(node.Logs.Entries, entry => entry.EventName == "TooManyJoins" && entry.Level == LogLevel.Debug);
    }

    [Fact]
    public async Task HandleFrameAsync_JoinsAtTheSustainedRate_NeverRefused()
    {
        var node = new SocketHarness(options =>
        {
            options.MaxJoinsPerSecond = 2;
            options.JoinBurst = 1;
        });
        var client = node.Connect();

        for (var i = 1; i <= 10; i++)
        {
            await client.SendTextAsync($$"""["{{i}}","{{i}}","t{{i}}","phx_join",{}]""");
            node.Time.Advance(TimeSpan.FromMilliseconds(500));
        }

        var replies = await client.WaitForTextFramesAsync(10);
        Assert.All(replies, reply => Assert.Contains("\"status\":\"ok\"", reply, StringComparison.Ordinal));
    }

    [Fact]
    public async Task HandleFrameAsync_FramesOverFrameBurst_ClosesWith1008_OtherSocketUnaffected()
    {
        var node = new SocketHarness(options =>
        {
            options.MaxFramesPerSecond = 5;
            options.FrameBurst = 10;
        });
        using var exceeded = new CounterRecorder(node.Metrics.Meter, "pushex.limits.exceeded", LimitTag("MaxFramesPerSecond"));
        var client = node.Connect();
        var other = node.Connect();
        await other.SendTextAsync("""["1","1","t","phx_join",{}]""");

        // Heartbeats count: ten fit in the burst, the eleventh closes.
        for (var i = 0; i < 11; i++)
        {
            await client.SendTextAsync(HeartbeatFrame);
        }

        var close = await client.Transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.PolicyViolation, close.Code);
        Assert.Equal("too many frames", close.Reason);
        Assert.Equal(10, close.FramesBefore);
        Assert.Equal(1, exceeded.Total);
        Assert.Contains(node.Logs.Entries, entry => entry.EventName == "TooManyFrames" && entry.Level == LogLevel.Debug);
        Assert.Empty(node.Logs.WarningsOrAbove);

        // The other socket has its own bucket: its join and nine heartbeats fill it without closing it.
        for (var i = 0; i < 9; i++)
        {
            await other.SendTextAsync(HeartbeatFrame);
        }

        Assert.Equal(10, (await other.WaitForTextFramesAsync(10)).Length);
        Assert.False(other.Socket.IsClosing);
        Assert.Single(node.SubscribersOf("t"));
    }

    [Fact]
    public async Task HandleFrameAsync_FramesAtTheSustainedRate_NeverClose()
    {
        var node = new SocketHarness(options =>
        {
            options.MaxFramesPerSecond = 5;
            options.FrameBurst = 10;
        });
        var client = node.Connect();

        // A minute at exactly the sustained rate, after spending the whole burst at once.
        for (var i = 0; i < 10; i++)
        {
            await client.SendTextAsync(HeartbeatFrame);
        }

        for (var second = 0; second < 60; second++)
        {
            node.Time.Advance(TimeSpan.FromSeconds(1));
            for (var i = 0; i < 5; i++)
            {
                await client.SendTextAsync(HeartbeatFrame);
            }
        }

        Assert.Equal(310, (await client.WaitForTextFramesAsync(310)).Length);
        Assert.False(client.Socket.IsClosing);
    }

    [Fact]
    public async Task HandleFrameAsync_RateLimitsZero_Off()
    {
        var node = new SocketHarness(options =>
        {
            options.MaxFramesPerSecond = 0;
            options.FrameBurst = 1;
            options.MaxJoinsPerSecond = 0;
            options.JoinBurst = 1;
        });
        var client = node.Connect();

        for (var i = 0; i < 50; i++)
        {
            await client.SendTextAsync($$"""["{{i}}","{{i}}","t{{i}}","phx_join",{}]""");
        }

        var replies = await client.WaitForTextFramesAsync(50);
        Assert.All(replies, reply => Assert.Contains("\"status\":\"ok\"", reply, StringComparison.Ordinal));
        Assert.False(client.Socket.IsClosing);
    }
}
