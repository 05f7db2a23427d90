using System.Net;
using System.Net.WebSockets;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.PubSub;
using StackExchange.Redis;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;
using static PushEx.AspNetCore.Tests.PubSub.PubSubAdapterSpecification;

namespace PushEx.AspNetCore.Tests.PubSub;

/// <summary>Several PushEx nodes (separate Kestrel servers in this process) on one real redis-server.</summary>
public sealed class RedisClusterTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async ValueTask InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task PushToNodeA_ReachesSubscribersOnBAndC_ExactlyOnceAndInOrder()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync(_redis.Configuration);
        await using var c = await RedisHosts.StartAsync(_redis.Configuration);
        await using var onB = await JoinAsync(b, "room:1");
        await using var onC = await JoinAsync(c, "room:1");
        using var http = a.CreateHttpClient();

        for (var i = 0; i < 100; i++)
        {
            using var response = await PostAsync(http, $$"""{"channel":"room:1","data":{{i}},"event":"e"}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var epoch = await RedisHistoryTests.EpochOfAsync(_redis, "room:1");
        foreach (var client in new[] { onB, onC })
        {
            for (var i = 0; i < 100; i++)
            {
                Assert.Equal($$"""["3",null,"room:1","msg",{"data":{{i}},"event":"e","offset":{{i + 1}},"epoch":"{{epoch}}"}]""", await client.ReceiveTextAsync());
            }

            await AssertNextFrameIsHeartbeatReplyAsync(client);
        }
    }

    [Fact]
    public async Task TopicSubscribedOnlyOnB_NothingReachesAOrC_AndAFindsTheListener()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync(_redis.Configuration);
        await using var c = await RedisHosts.StartAsync(_redis.Configuration);
        await using var onA = await JoinAsync(a, "other");
        await using var onB = await JoinAsync(b, "only-b");
        await using var onC = await JoinAsync(c, "other");

        var listened = await a.GetRequiredService<IPubSubAdapter>().PublishAsync(CreatePush(a, "only-b", "1"), TestContext.Current.CancellationToken);

        Assert.True(listened);
        Assert.Equal($$"""["3",null,"only-b","msg",{"data":1,"event":"e","offset":1,"epoch":"{{await RedisHistoryTests.EpochOfAsync(_redis, "only-b")}}"}]""", await onB.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(onA);
        await AssertNextFrameIsHeartbeatReplyAsync(onC);
    }

    [Fact]
    public async Task LastSubscriberLeavesOnB_APublishReachesNoNode()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync(_redis.Configuration);
        await using var onB = await JoinAsync(b, "t");
        var adapter = a.GetRequiredService<IPubSubAdapter>();
        Assert.True(await adapter.PublishAsync(CreatePush(a, "t", "1"), TestContext.Current.CancellationToken));
        await onB.ReceiveTextAsync();

        await onB.SendTextAsync("""["3","4","t","phx_leave",{}]""");
        await onB.ReceiveTextAsync();
        await onB.ReceiveTextAsync();

        await Eventually.TrueAsync(() => CountSubscribers(_redis, "pushex:topic:t") == 0, "node B unsubscribed from the topic's channel");
        Assert.False(await adapter.PublishAsync(CreatePush(a, "t", "2"), TestContext.Current.CancellationToken));
        await AssertNextFrameIsHeartbeatReplyAsync(onB);
    }

    [Fact]
    public async Task DisconnectBySocketId_ClosesMatchingSocketsOnEveryNode_AndNoOther()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync(_redis.Configuration);
        await using var userOnA = await TestWebSocket.ConnectAsync(a.SocketUri("user=42&vsn=2.0.0"));
        await using var userOnB = await TestWebSocket.ConnectAsync(b.SocketUri("user=42&vsn=2.0.0"));
        await using var otherOnB = await TestWebSocket.ConnectAsync(b.SocketUri("user=43&vsn=2.0.0"));

        // The server registers a socket just after the upgrade the client has seen; a heartbeat's reply proves it has.
        await AssertNextFrameIsHeartbeatReplyAsync(userOnA);
        await AssertNextFrameIsHeartbeatReplyAsync(userOnB);
        var closedHere = await a.GetRequiredService<PushEx.Pipeline.IPushPublisher>().DisconnectSocketsAsync("user_socket:42", TestContext.Current.CancellationToken);

        Assert.Equal(1, closedHere);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await userOnA.ReceiveCloseAsync());
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await userOnB.ReceiveCloseAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(otherOnB);
    }

    [Fact]
    public async Task RedisOutage_ReadinessAndApiFollowIt_AndPushesFlowAgainToEarlierSubscribers()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync(_redis.Configuration, configureOptions: options => options.IdleTimeout = TimeSpan.FromSeconds(3));
        await using var onB = await JoinAsync(b, "t");
        using var http = a.CreateHttpClient();
        Assert.Equal(200, await a.ReadinessAsync());

        await _redis.StopAsync();

        await Eventually.TrueAsync(() => a.ReadinessAsync().GetAwaiter().GetResult() == 503, "node A reports the backplane down");
        using (var refused = await PostAsync(http, """{"channel":"t","data":0,"event":"e"}"""))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("unavailable", await BodyAsync(refused), StringComparison.Ordinal);
        }

        // The socket on B stays up through the outage, heartbeating past its idle timeout.
        for (var i = 0; i < 4; i++)
        {
            await AssertNextFrameIsHeartbeatReplyAsync(onB);
            await onB.AssertNothingReceivedAsync(TimeSpan.FromSeconds(1));
        }

        await _redis.StartAgainAsync();

        await Eventually.TrueAsync(() => a.ReadinessAsync().GetAwaiter().GetResult() == 200 && b.ReadinessAsync().GetAwaiter().GetResult() == 200, "both nodes see the backplane again", TimeSpan.FromSeconds(20));
        await Eventually.TrueAsync(() => CountSubscribers(_redis, "pushex:topic:t") == 1, "node B subscribed to its topic again", TimeSpan.FromSeconds(20));
        using (var accepted = await PostAsync(http, """{"channel":"t","data":1,"event":"e"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{await RedisHistoryTests.EpochOfAsync(_redis, "t")}}"}]""", await onB.ReceiveTextAsync());
    }

    [Fact]
    public async Task RedisDownAtStartup_AppStartsUnready_ThenServesWhenRedisComes()
    {
        await _redis.StopAsync();
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        using var http = a.CreateHttpClient();

        Assert.Equal(503, await a.ReadinessAsync());
        using (var refused = await PostAsync(http, """{"channel":"t","data":0,"event":"e"}"""))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        await using var early = await JoinAsync(a, "t");
        await _redis.StartAgainAsync();
        await using var b = await RedisHosts.StartAsync(_redis.Configuration);

        await Eventually.TrueAsync(() => a.ReadinessAsync().GetAwaiter().GetResult() == 200, "node A connects once Redis is up", TimeSpan.FromSeconds(20));
        await Eventually.TrueAsync(() => CountSubscribers(_redis, "pushex:topic:t") == 1, "node A subscribed to the topic joined during the outage", TimeSpan.FromSeconds(20));
        using var fromB = b.CreateHttpClient();
        using (var accepted = await PostAsync(fromB, """{"channel":"t","data":1,"event":"e"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{await RedisHistoryTests.EpochOfAsync(_redis, "t")}}"}]""", await early.ReceiveTextAsync());
    }

    [Fact]
    public async Task ForeignOrMalformedMessages_OnPushExChannels_AreIgnoredAndTheSubscriptionSurvives()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync(_redis.Configuration);
        await using var onB = await JoinAsync(b, "t");
        await using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        var publisher = raw.GetSubscriber();

        byte[] unknownKind = [(byte)'P', 1, 9, .. new byte[16]];
        byte[] truncatedPush = [(byte)'P', 1, 1, .. new byte[16], 1, 2];
        byte[] pushWithInvalidJson = [(byte)'P', 1, 1, .. new byte[16], .. new byte[8], 1, 0, (byte)'e', (byte)'{'];
        foreach (var garbage in new RedisValue[] { "hello", RedisValue.EmptyString, unknownKind, truncatedPush, pushWithInvalidJson })
        {
            await publisher.PublishAsync(RedisChannel.Literal("pushex:topic:t"), garbage);
            await publisher.PublishAsync(RedisChannel.Literal("pushex:control"), garbage);
        }

        Assert.True(await a.GetRequiredService<IPubSubAdapter>().PublishAsync(CreatePush(a, "t", "1"), TestContext.Current.CancellationToken));
        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{await RedisHistoryTests.EpochOfAsync(_redis, "t")}}"}]""", await onB.ReceiveTextAsync());
    }

    [Fact]
    public async Task ChannelPrefix_KeepsTwoAppsOnOneRedisApart()
    {
        await using var first = await RedisHosts.StartAsync(_redis.Configuration, channelPrefix: "app1:");
        await using var second = await RedisHosts.StartAsync(_redis.Configuration, channelPrefix: "app2:");
        await using var onSecond = await JoinAsync(second, "t");

        Assert.False(await first.GetRequiredService<IPubSubAdapter>().PublishAsync(CreatePush(first, "t", "1"), TestContext.Current.CancellationToken));
        await AssertNextFrameIsHeartbeatReplyAsync(onSecond);
    }

    private static long CountSubscribers(RedisServer redis, string channel)
    {
        using var connection = ConnectionMultiplexer.Connect(redis.Configuration);
        var result = connection.GetServer(redis.Configuration).Execute("PUBSUB", "NUMSUB", channel);
        return (long)((RedisResult[])result!)[1];
    }
}
