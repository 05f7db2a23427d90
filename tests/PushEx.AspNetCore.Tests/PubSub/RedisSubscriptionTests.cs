using System.Net;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.PubSub;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;
using static PushEx.AspNetCore.Tests.PubSub.PubSubAdapterSpecification;

namespace PushEx.AspNetCore.Tests.PubSub;

/// <summary>
/// Which Redis channels a node listens to, through outages, refused subscriptions and its own disposal: every topic
/// with local subscribers is subscribed exactly once, and nothing else stays registered.
/// </summary>
public sealed class RedisSubscriptionTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async ValueTask InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task TopicJoinedOnBDuringAnOutage_IsSubscribedWhenRedisReturns_AndReceivesPushesFromA()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync(_redis.Configuration);
        await _redis.StopAsync();
        await Eventually.TrueAsync(() => !b.GetRequiredService<IPubSubAdapter>().IsAvailable, "node B sees the outage");

        await using var onB = await JoinAsync(b, "t");
        await _redis.StartAgainAsync();

        await Eventually.TrueAsync(() => a.GetRequiredService<IPubSubAdapter>().IsAvailable && b.GetRequiredService<IPubSubAdapter>().IsAvailable, "both nodes see the backplane again", TimeSpan.FromSeconds(20));
        await Eventually.TrueAsync(() => CountSubscribers(_redis, "pushex:topic:t") == 1, "node B subscribed to the topic joined during the outage", TimeSpan.FromSeconds(20));
        await Eventually.TrueAsync(() => CountSubscribers(_redis, "pushex:control") == 2, "both nodes listen to the control channel again", TimeSpan.FromSeconds(20));
        using var http = a.CreateHttpClient();
        using (var accepted = await PostAsync(http, """{"channel":"t","data":1,"event":"e"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{await RedisHistoryTests.EpochOfAsync(_redis, "t")}}"}]""", await onB.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(onB);
        Assert.Equal(1, CountSubscribers(_redis, "pushex:topic:t"));
    }

    [Fact]
    public async Task TopicLeftAndJoinedAgainWhileSubscriptionsAreRestored_IsSubscribedOnce_AndGetsEachPushOnce()
    {
        // Node B starts during an outage with many topics joined, so restoring them takes a while once Redis is back.
        await _redis.StopAsync();
        // One socket joins them all at once: the per-socket join and frame rates are off for it.
        await using var b = await RedisHosts.StartAsync(
            _redis.Configuration,
            configureOptions: options =>
            {
                options.MaxChannelsPerSocket = 1000;
                options.MaxJoinsPerSecond = 0;
                options.MaxFramesPerSecond = 0;
            });
        await using var bulk = await JoinManyAsync(b, BulkTopics);
        await using var mover = await JoinAsync(b, "t");
        await _redis.StartAgainAsync();
        await Eventually.TrueAsync(() => CountSubscribers(_redis, "pushex:control") == 1, "node B began restoring its subscriptions", TimeSpan.FromSeconds(20));

        // The last topic joined is the last restored: it leaves and comes back while the others are being restored.
        for (var round = 0; round < 20; round++)
        {
            await mover.SendTextAsync($$"""["3","l{{round}}","t","phx_leave",{}]""");
            await mover.ReceiveTextAsync();
            await mover.ReceiveTextAsync();
            await mover.SendTextAsync($$"""["3","j{{round}}","t","phx_join",{}]""");
            Assert.Contains("\"ok\"", await mover.ReceiveTextAsync(), StringComparison.Ordinal);
        }

        await Eventually.TrueAsync(() => CountSubscribers(_redis, $"pushex:topic:bulk:{BulkTopics - 1}") == 1, "node B restored every topic", TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => CountSubscribers(_redis, "pushex:topic:t") == 1, "node B subscribed to the topic joined again", TimeSpan.FromSeconds(20));
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        Assert.True(await a.GetRequiredService<IPubSubAdapter>().PublishAsync(CreatePush(a, "t", "1"), TestContext.Current.CancellationToken));

        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{await RedisHistoryTests.EpochOfAsync(_redis, "t")}}"}]""", await mover.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(mover);
    }

    [Fact]
    public async Task SubscribeRefusedByRedis_IsRetried_UntilTheJoinedTopicReceivesPushes()
    {
        await AllowChannelsAsync("node-b", "pushex:control");
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync($"{_redis.Configuration},user=node-b,password=secret");

        await using var onB = await JoinAsync(b, "t");
        await AllowChannelsAsync("node-b", "pushex:control", "pushex:topic:t");

        await Eventually.TrueAsync(() => CountSubscribers(_redis, "pushex:topic:t") == 1, "node B subscribed once Redis allowed it", TimeSpan.FromSeconds(20));
        using var http = a.CreateHttpClient();
        using (var accepted = await PostAsync(http, """{"channel":"t","data":1,"event":"e"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{await RedisHistoryTests.EpochOfAsync(_redis, "t")}}"}]""", await onB.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(onB);
    }

    [Fact]
    public async Task SubscribeRefusedByRedis_LeavesNothingRegistered_ThatAReconnectWouldRenew()
    {
        await AllowChannelsAsync("node-b", "pushex:control", "pushex:topic:kept");
        await using var b = await RedisHosts.StartAsync($"{_redis.Configuration},user=node-b,password=secret");
        await using var kept = await JoinAsync(b, "kept");
        await using (var refused = await JoinAsync(b, "t"))
        {
            await refused.SendTextAsync("""["3","4","t","phx_leave",{}]""");
            await refused.ReceiveTextAsync();
            await refused.ReceiveTextAsync();
        }

        await AllowChannelsAsync("node-b", "pushex:control", "pushex:topic:kept", "pushex:topic:t");
        await ExecuteAsync("CLIENT", "KILL", "USER", "node-b");

        await Eventually.TrueAsync(() => CountSubscribers(_redis, "pushex:topic:kept") == 1 && CountSubscribers(_redis, "pushex:control") == 1, "node B renewed its subscriptions after the reconnect", TimeSpan.FromSeconds(20));
        await AssertNextFrameIsHeartbeatReplyAsync(kept);
        Assert.Equal(0, CountSubscribers(_redis, "pushex:topic:t"));
    }

    [Fact]
    public async Task SubscribeUnansweredUntilItTimedOut_IsRetried_AndTheTopicGetsEachPushOnce()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync($"{_redis.Configuration},asyncTimeout=500");

        // Redis holds every command, the SUBSCRIBE too, well past the half second node B waits for an answer.
        await ExecuteAsync("CLIENT", "PAUSE", "8000", "ALL");
        await using var onB = await JoinAsync(b, "t");

        await Eventually.TrueAsync(() => CountSubscribers(_redis, "pushex:topic:t") == 1, "node B subscribed once Redis answered again", TimeSpan.FromSeconds(20));
        Assert.True(await a.GetRequiredService<IPubSubAdapter>().PublishAsync(CreatePush(a, "t", "1"), TestContext.Current.CancellationToken));
        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{await RedisHistoryTests.EpochOfAsync(_redis, "t")}}"}]""", await onB.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(onB);
    }

    [Fact]
    public async Task DisposingTheNode_DisposesThePendingUnsubscribes()
    {
        var time = new TimerTrackingTimeProvider();
        var host = await StartWithTrackedTimersAsync(time);
        await using (var client = await JoinAsync(host, "t"))
        {
            await client.SendTextAsync("""["3","4","t","phx_leave",{}]""");
            await client.ReceiveTextAsync();
            await client.ReceiveTextAsync();
        }

        Assert.Single(time.Timers, timer => timer.DueTime == LongUnsubscribeDelay && !timer.IsDisposed);

        await host.DisposeAsync();

        Assert.All(time.Timers.Where(timer => timer.DueTime == LongUnsubscribeDelay), timer => Assert.True(timer.IsDisposed));
    }

    [Fact]
    public async Task DisposingTheNode_OnTheAppsMultiplexer_ReleasesItsSubscriptions()
    {
        await using var shared = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        var host = await PushExTestHost.StartAsync(configurePushEx: pushEx => pushEx.AddRedis(options =>
        {
            options.ConnectionFactory = _ => Task.FromResult<IConnectionMultiplexer>(shared);
            options.UnsubscribeDelay = TimeSpan.FromMinutes(7);
        }));
        await using (var client = await JoinAsync(host, "t"))
        {
            Assert.Equal(1, CountSubscribers(_redis, "pushex:topic:t"));
        }

        await host.DisposeAsync();

        Assert.True(shared.IsConnected);
        Assert.Equal(0, CountSubscribers(_redis, "pushex:topic:t"));
        Assert.Equal(0, CountSubscribers(_redis, "pushex:control"));
    }

    [Fact]
    public async Task JoinAfterTheAppDisposedItsMultiplexer_IsAnsweredOk_AndTheSocketStaysUp()
    {
        var shared = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        await using var host = await PushExTestHost.StartAsync(configurePushEx: pushEx => pushEx.AddRedis(options =>
        {
            options.ConnectionFactory = _ => Task.FromResult<IConnectionMultiplexer>(shared);
            options.UnsubscribeDelay = TimeSpan.Zero;
        }));

        await shared.DisposeAsync();

        await using var client = await JoinAsync(host, "t");
        await AssertNextFrameIsHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task UnsubscribedMoreOftenThanSubscribed_OnlyOneUnsubscribeIsPending_AndAJoinStillSubscribes()
    {
        var time = new TimerTrackingTimeProvider();
        await using var host = await StartWithTrackedTimersAsync(time);
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        await adapter.SubscribeAsync("t", TestContext.Current.CancellationToken);

        // A caller that releases a reference it no longer holds must not start a second timer over the first.
        adapter.Unsubscribe("t");
        adapter.Unsubscribe("t");

        Assert.Single(time.Timers, timer => timer.DueTime == LongUnsubscribeDelay && !timer.IsDisposed);
        await using var client = await JoinAsync(host, "t");
        Assert.DoesNotContain(time.Timers, timer => timer.DueTime == LongUnsubscribeDelay && !timer.IsDisposed);
        Assert.Equal(1, CountSubscribers(_redis, "pushex:topic:t"));
    }

    [Fact]
    public async Task UnsubscribeCallbacksOvertakenByJoins_LeaveTheTopicSubscribedOnce_AndEachPushArrivesOnce()
    {
        var time = new TimerTrackingTimeProvider();
        await using var b = await StartWithTrackedTimersAsync(time);
        TimerTrackingTimeProvider.TrackedTimer PendingUnsubscribe() => Assert.Single(time.Timers, timer => timer.DueTime == LongUnsubscribeDelay && !timer.IsDisposed);
        await using var first = await JoinAsync(b, "t");

        // Leave, join again, leave again: each join disposes the pending unsubscribe, but a timer's callback may
        // already be on its way when its timer is disposed; here both come late.
        await LeaveAsync(first, "t", joinRef: "3");
        var overtaken = PendingUnsubscribe();
        await first.SendTextAsync("""["5","5","t","phx_join",{}]""");
        Assert.Contains("\"ok\"", await first.ReceiveTextAsync(), StringComparison.Ordinal);
        await LeaveAsync(first, "t", joinRef: "5");
        var current = PendingUnsubscribe();

        overtaken.Fire();
        await using var second = await JoinAsync(b, "t");
        current.Fire();
        await using var third = await JoinAsync(b, "t");

        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        Assert.True(await a.GetRequiredService<IPubSubAdapter>().PublishAsync(CreatePush(a, "t", "1"), TestContext.Current.CancellationToken));
        var expected = $$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{await RedisHistoryTests.EpochOfAsync(_redis, "t")}}"}]""";
        foreach (var subscriber in new[] { second, third })
        {
            Assert.Equal(expected, await subscriber.ReceiveTextAsync());
            await AssertNextFrameIsHeartbeatReplyAsync(subscriber);
        }

        Assert.Equal(1, CountSubscribers(_redis, "pushex:topic:t"));
    }

    // Leaves the topic and reads the leave's reply and the channel's phx_close.
    private static async Task LeaveAsync(TestWebSocket client, string topic, string joinRef)
    {
        await client.SendTextAsync($$"""["{{joinRef}}","l{{joinRef}}","{{topic}}","phx_leave",{}]""");
        Assert.Contains("\"ok\"", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        Assert.Contains("phx_close", await client.ReceiveTextAsync(), StringComparison.Ordinal);
    }

    private static readonly TimeSpan LongUnsubscribeDelay = TimeSpan.FromMinutes(7);

    // A node whose timers the test sees (and may fire itself), with an unsubscribe delay no test waits out.
    private Task<PushExTestHost> StartWithTrackedTimersAsync(TimerTrackingTimeProvider time) =>
        PushExTestHost.StartAsync(
            configureServices: services => services.AddSingleton<TimeProvider>(time),
            configurePushEx: pushEx => pushEx.AddRedis(options =>
            {
                RedisHosts.Configure(options, _redis.Configuration, "pushex:");
                options.UnsubscribeDelay = LongUnsubscribeDelay;
            }));

    private const int BulkTopics = 1000;

    // One socket joined to bulk:0 … bulk:{count-1}, the joins sent at once and every reply awaited.
    private static async Task<TestWebSocket> JoinManyAsync(PushExTestHost host, int count)
    {
        var client = await TestWebSocket.ConnectAsync(host.SocketUri());
        for (var i = 0; i < count; i++)
        {
            await client.SendTextAsync($$"""["{{i}}","{{i}}","bulk:{{i}}","phx_join",{}]""");
        }

        for (var i = 0; i < count; i++)
        {
            Assert.Contains("\"ok\"", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        }

        return client;
    }

    // Redis 7 gives a new user no channels; the user may run every command on every key, as a node needs.
    private Task AllowChannelsAsync(string user, params string[] channels) =>
        ExecuteAsync(["ACL", "SETUSER", user, "reset", "on", ">secret", "~*", "+@all", .. channels.Select(channel => "&" + channel)]);

    private async Task ExecuteAsync(params object[] command)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        await connection.GetServer(_redis.Configuration).ExecuteAsync((string)command[0], command[1..]);
    }

    internal static long CountSubscribers(RedisServer redis, string channel)
    {
        using var connection = ConnectionMultiplexer.Connect(redis.Configuration);
        var result = connection.GetServer(redis.Configuration).Execute("PUBSUB", "NUMSUB", channel);
        return (long)((RedisResult[])result!)[1];
    }
}
