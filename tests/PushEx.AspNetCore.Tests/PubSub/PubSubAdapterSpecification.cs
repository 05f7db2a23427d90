using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.History;
using PushEx.Pipeline;
using PushEx.PubSub;

namespace PushEx.AspNetCore.Tests.PubSub;

/// <summary>
/// What every <see cref="IPubSubAdapter"/> must do on one node, run against each implementation: delivery to local
/// subscribers exactly once, "no listeners" when nobody listens (also once the last subscriber left), order per
/// topic, disconnects by socket id, and each topic's history and the resume positions of ended sockets.
/// </summary>
public abstract class PubSubAdapterSpecification
{
    protected abstract Task<PushExTestHost> StartHostAsync(Action<PushExOptions>? configureOptions = null);

    [Fact]
    public async Task Publish_SubscribedHere_DeliversExactlyOnce_AndReportsListeners()
    {
        await using var host = await StartHostAsync();
        await using var client = await JoinAsync(host, "t");
        var adapter = host.GetRequiredService<IPubSubAdapter>();

        var push = CreatePush(host, "t", "1");

        var listened = await adapter.PublishAsync(push, TestContext.Current.CancellationToken);

        Assert.True(listened);
        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{push.Position?.Epoch}}"}]""", await client.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task Publish_NoSubscriber_ReportsNoListeners()
    {
        await using var host = await StartHostAsync();
        var adapter = host.GetRequiredService<IPubSubAdapter>();

        Assert.True(adapter.IsAvailable);
        Assert.False(await adapter.PublishAsync(CreatePush(host, "nobody", "1"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Publish_AfterTheLastSubscriberLeft_ReportsNoListeners()
    {
        await using var host = await StartHostAsync();
        await using var client = await JoinAsync(host, "t");
        await client.SendTextAsync("""["3","4","t","phx_leave",{}]""");
        await client.ReceiveTextAsync();
        await client.ReceiveTextAsync();
        var adapter = host.GetRequiredService<IPubSubAdapter>();

        var listened = true;
        await Eventually.TrueAsync(
            () => !(listened = adapter.PublishAsync(CreatePush(host, "t", "1"), TestContext.Current.CancellationToken).AsTask().GetAwaiter().GetResult()),
            "a publish reports no listeners");

        Assert.False(listened);
        await AssertNextFrameIsHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task Publish_ManyToOneTopic_ArriveInOrder()
    {
        await using var host = await StartHostAsync();
        await using var client = await JoinAsync(host, "ordered");
        var publisher = host.GetRequiredService<IPushPublisher>();

        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(PublishResult.Accepted, publisher.TryPublish("ordered", "e", System.Text.Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        for (var i = 0; i < 300; i++)
        {
            Assert.Equal($$"""["3",null,"ordered","msg",{"data":{{i}},"event":"e","offset":{{i + 1}},"epoch":"…"}]""", Epochs.Mask(await client.ReceiveTextAsync()));
        }
    }

    [Fact]
    public async Task Disconnect_BySocketId_ClosesOnlyMatchingSockets()
    {
        await using var host = await StartHostAsync();
        await using var target = await TestWebSocket.ConnectAsync(host.SocketUri("user=5&vsn=2.0.0"));
        await using var bystander = await TestWebSocket.ConnectAsync(host.SocketUri("user=6&vsn=2.0.0"));

        // The server registers a socket just after the upgrade the client has seen; a heartbeat's reply proves it has.
        await AssertNextFrameIsHeartbeatReplyAsync(target);
        var closed = await host.GetRequiredService<IPubSubAdapter>().DisconnectAsync("user_socket:5", TestContext.Current.CancellationToken);

        Assert.Equal(1, closed);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await target.ReceiveCloseAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(bystander);
    }

    [Fact]
    public async Task Publish_TopicWithHistory_GivesEachPushThePreviousOffsetPlusOneUnderOneEpoch()
    {
        await using var host = await StartHostAsync();
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        var topic = UniqueTopic();
        var pushes = new[] { CreatePush(host, topic, "1"), CreatePush(host, topic, "2"), CreatePush(host, topic, "3") };

        foreach (var push in pushes)
        {
            await adapter.PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }

        var first = Assert.NotNull(pushes[0].Position);
        Assert.Equal(1, first.Offset);
        Assert.False(string.IsNullOrEmpty(first.Epoch));
        Assert.Equal([first, first with { Offset = 2 }, first with { Offset = 3 }], pushes.Select(push => push.Position!.Value));
        Assert.Equal($$"""{"data":3,"event":"e","offset":3,"epoch":"{{first.Epoch}}"}""", Encoding.UTF8.GetString(pushes[2].MsgPayload.Span));
    }

    [Fact]
    public async Task Publish_TopicNobodyListensTo_PushIsKeptAndReadable()
    {
        await using var host = await StartHostAsync();
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        var topic = UniqueTopic();
        var push = CreatePush(host, topic, """{"id":7}""");

        var listened = await adapter.PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var read = await adapter.ReadHistoryAsync(topic, 0, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.False(listened);
        Assert.True(read.IsComplete);
        Assert.Equal(push.Position, read.Top);
        var kept = Assert.Single(read.Pushes);
        Assert.Equal(push.Position, kept.Position);
        Assert.Equal((topic, "e", """{"id":7}"""), (kept.Channel, kept.Event, Encoding.UTF8.GetString(kept.Data.Span)));
    }

    [Fact]
    public async Task ReadHistory_AfterAnOffset_ReturnsTheLaterPushesInOrderWithTheirPositions()
    {
        await using var host = await StartHostAsync();
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        var topic = UniqueTopic();
        var pushes = Enumerable.Range(1, 5).Select(i => CreatePush(host, topic, i.ToString(CultureInfo.InvariantCulture))).ToList();
        foreach (var push in pushes)
        {
            await adapter.PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }

        var read = await adapter.ReadHistoryAsync(topic, 2, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.True(read.IsComplete);
        Assert.Equal(pushes[4].Position, read.Top);
        Assert.Equal(pushes[2..].Select(push => push.Position), read.Pushes.Select(push => push.Position));
        Assert.Equal(["3", "4", "5"], read.Pushes.Select(push => Encoding.UTF8.GetString(push.Data.Span)));
        // What a recovering subscriber is sent: the same msg payload as the live delivery, offset and epoch included.
        Assert.Equal(pushes[2..].Select(push => Encoding.UTF8.GetString(push.MsgPayload.Span)), read.Pushes.Select(push => Encoding.UTF8.GetString(push.MsgPayload.Span)));
    }

    [Fact]
    public async Task ReadHistory_AtTheTopOrForThePositionAlone_ReturnsNoPushesAndTheTop()
    {
        await using var host = await StartHostAsync();
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        var topic = UniqueTopic();
        var push = CreatePush(host, topic, "1");
        await adapter.PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        var atTop = await adapter.ReadHistoryAsync(topic, 1, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var positionOnly = await adapter.ReadHistoryAsync(topic, long.MaxValue, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.True(atTop.IsComplete);
        Assert.Empty(atTop.Pushes);
        Assert.Equal(push.Position, atTop.Top);
        Assert.Empty(positionOnly.Pushes);
        Assert.Equal(push.Position, positionOnly.Top);
    }

    [Fact]
    public async Task ReadHistory_TopicNeverPushedTo_HasNoPosition()
    {
        await using var host = await StartHostAsync();

        var read = await host.GetRequiredService<IPubSubAdapter>().ReadHistoryAsync(UniqueTopic(), 0, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Null(read.Top);
        Assert.Empty(read.Pushes);
    }

    [Fact]
    public async Task ResumePositions_Saved_FoundPerSocketIdAndTopic_AndReplacedByALaterSave()
    {
        await using var host = await StartHostAsync();
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        var socketId = $"user_socket:{Guid.NewGuid():N}";
        var cancellation = TestContext.Current.CancellationToken;

        await adapter.SaveResumePositionsAsync(socketId, [new("a", new StreamPosition("E1", 3)), new("b", new StreamPosition("E2", 9))], cancellation).AsTask().WaitAsync(Timeout, cancellation);
        await adapter.SaveResumePositionsAsync(socketId, [new("a", new StreamPosition("E1", 5))], cancellation).AsTask().WaitAsync(Timeout, cancellation);

        Assert.Equal(new StreamPosition("E1", 5), await adapter.FindResumePositionAsync(socketId, "a", cancellation).AsTask().WaitAsync(Timeout, cancellation));
        Assert.Equal(new StreamPosition("E2", 9), await adapter.FindResumePositionAsync(socketId, "b", cancellation).AsTask().WaitAsync(Timeout, cancellation));
        Assert.Null(await adapter.FindResumePositionAsync(socketId, "c", cancellation).AsTask().WaitAsync(Timeout, cancellation));
        Assert.Null(await adapter.FindResumePositionAsync($"{socketId}-other", "a", cancellation).AsTask().WaitAsync(Timeout, cancellation));
    }

    [Fact]
    public async Task ResumePosition_OfATopicJoinedBeforeItHadHistory_IsFoundAsTheOrigin()
    {
        await using var host = await StartHostAsync();
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        var socketId = $"user_socket:{Guid.NewGuid():N}";
        var cancellation = TestContext.Current.CancellationToken;

        // Where a socket stands that joined a topic with no push yet and was sent none: it is owed everything since.
        await adapter.SaveResumePositionsAsync(socketId, [new("a", new StreamPosition(string.Empty, 0))], cancellation).AsTask().WaitAsync(Timeout, cancellation);

        Assert.Equal(new StreamPosition(string.Empty, 0), await adapter.FindResumePositionAsync(socketId, "a", cancellation).AsTask().WaitAsync(Timeout, cancellation));
    }

    [Fact]
    public async Task Join_RecoverFromAnOffset_GetsTheRecoveryEventAndTheLaterPushes_ThenLiveOnes()
    {
        await using var host = await StartHostAsync();
        var epoch = await PublishKeptAsync(host, "r", 3);
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());

        await client.SendTextAsync($$$"""["3","3","r","phx_join",{"recover":{"epoch":"{{{epoch}}}","offset":1}}]""");

        Assert.Equal("""["3","3","r","phx_reply",{"status":"ok","response":{}}]""", await client.ReceiveTextAsync());
        Assert.Equal($$"""["3",null,"r","recovery",{"recovered":true,"epoch":"{{epoch}}","offset":3,"missed":2}]""", await client.ReceiveTextAsync());
        Assert.Equal($$"""["3",null,"r","msg",{"data":2,"event":"e","offset":2,"epoch":"{{epoch}}"}]""", await client.ReceiveTextAsync());
        Assert.Equal($$"""["3",null,"r","msg",{"data":3,"event":"e","offset":3,"epoch":"{{epoch}}"}]""", await client.ReceiveTextAsync());
        await host.GetRequiredService<IPubSubAdapter>().PublishAsync(CreatePush(host, "r", "4"), TestContext.Current.CancellationToken);
        Assert.Equal($$"""["3",null,"r","msg",{"data":4,"event":"e","offset":4,"epoch":"{{epoch}}"}]""", await client.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task Join_RecoverFromAnotherEpoch_RecoveredFalse_AndOnlyLivePushes()
    {
        await using var host = await StartHostAsync();
        var epoch = await PublishKeptAsync(host, "r", 2);
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());

        await client.SendTextAsync("""["3","3","r","phx_join",{"recover":{"epoch":"an-earlier-history","offset":1}}]""");

        Assert.Equal("""["3","3","r","phx_reply",{"status":"ok","response":{}}]""", await client.ReceiveTextAsync());
        Assert.Equal($$"""["3",null,"r","recovery",{"recovered":false,"epoch":"{{epoch}}","offset":2,"missed":null}]""", await client.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task Join_RecoverFromAnOffsetTheHistoryNoLongerHolds_RecoveredFalse_WithTheCountMissed()
    {
        await using var host = await StartHostAsync(options => options.History.MaxPushesPerTopic = 2);
        var epoch = await PublishKeptAsync(host, "r", 5);
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());

        await client.SendTextAsync($$$"""["3","3","r","phx_join",{"recover":{"epoch":"{{{epoch}}}","offset":1}}]""");

        Assert.Equal("""["3","3","r","phx_reply",{"status":"ok","response":{}}]""", await client.ReceiveTextAsync());
        Assert.Equal($$"""["3",null,"r","recovery",{"recovered":false,"epoch":"{{epoch}}","offset":5,"missed":4}]""", await client.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(client);
    }

    // Publishes data 1..count to a topic nobody listens to (so each is kept, not delivered); returns the epoch.
    private static async Task<string> PublishKeptAsync(PushExTestHost host, string topic, int count)
    {
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        Push? last = null;
        for (var i = 1; i <= count; i++)
        {
            last = CreatePush(host, topic, i.ToString(CultureInfo.InvariantCulture));
            await adapter.PublishAsync(last, TestContext.Current.CancellationToken);
        }

        return last!.Position!.Value.Epoch;
    }

    internal static Push CreatePush(PushExTestHost host, string channel, string data) =>
        host.GetRequiredService<PushPipeline>().CreatePush(channel, "e", System.Text.Encoding.UTF8.GetBytes(data));

    internal static async Task<TestWebSocket> JoinAsync(PushExTestHost host, string topic, string query = "vsn=2.0.0")
    {
        var client = await TestWebSocket.ConnectAsync(host.SocketUri(query));
        await client.SendTextAsync($$"""["3","3","{{topic}}","phx_join",{}]""");
        Assert.Equal($$$"""["3","3","{{{topic}}}","phx_reply",{"status":"ok","response":{}}]""", await client.ReceiveTextAsync());
        return client;
    }

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static string UniqueTopic() => $"history:{Guid.NewGuid():N}";

    // Proves that no other frame (say, a duplicate push) is queued before it.
    internal static async Task AssertNextFrameIsHeartbeatReplyAsync(TestWebSocket client)
    {
        await client.SendTextAsync("""[null,"hb","phoenix","heartbeat",{}]""");
        Assert.Equal("""[null,"hb","phoenix","phx_reply",{"status":"ok","response":{}}]""", await client.ReceiveTextAsync());
    }
}
