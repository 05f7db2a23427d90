using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.LoadTest.Compare;
using PushEx.PubSub;
using PushEx.PubSub.Redis;
using StackExchange.Redis;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;
using static PushEx.AspNetCore.Tests.PubSub.PubSubAdapterSpecification;

namespace PushEx.AspNetCore.Tests.PubSub;

/// <summary>
/// PushEx nodes on a real Redis Cluster (three masters, a replica each), where topics use sharded pub/sub: a topic's
/// channel lives on the master that holds its history. Tests share the cluster and keep apart by a channel prefix.
/// </summary>
public sealed class RedisClusterModeTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly string _prefix = RedisClusterFixture.NewPrefix();

    private RedisCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Fixture_ComesUp_WithThreeMastersServingEverySlot()
    {
        Assert.Equal(3, Cluster.MasterPorts.Count);
        Assert.Equal(6, Cluster.Ports.Count);
        foreach (var port in Cluster.Ports)
        {
            var info = await RedisCluster.CliAsync(port, ["CLUSTER", "INFO"], TestContext.Current.CancellationToken);
            Assert.Contains("cluster_state:ok", info, StringComparison.Ordinal);
            Assert.Contains("cluster_slots_assigned:16384", info, StringComparison.Ordinal);
            Assert.Contains("cluster_size:3", info, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Fixture_KillAMaster_ItsReplicaTakesOverItsSlots()
    {
        // A cluster of its own: the shared one stays whole for the other tests.
        await using var cluster = await RedisCluster.StartAsync(TestContext.Current.CancellationToken);
        var killed = cluster.MasterPorts[0];

        await cluster.KillMasterAndWaitForFailoverAsync(killed, TestContext.Current.CancellationToken);

        Assert.Equal(3, cluster.MasterPorts.Count);
        Assert.DoesNotContain(killed, cluster.MasterPorts);
        var info = await RedisCluster.CliAsync(cluster.MasterPorts[0], ["CLUSTER", "INFO"], TestContext.Current.CancellationToken);
        Assert.Contains("cluster_state:ok", info, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushToNodeA_ReachesSubscribersOnNodeB_ForTopicsOnEveryShard_ThroughShardChannels()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Cluster.Configuration);
        var topics = await Cluster.TopicPerMasterAsync(_prefix, TestContext.Current.CancellationToken);
        await using var a = await StartNodeAsync();
        await using var b = await StartNodeAsync();
        var clients = new List<TestWebSocket>();
        try
        {
            foreach (var (topic, _) in topics)
            {
                clients.Add(await JoinAsync(b, topic));
            }

            using var http = a.CreateHttpClient();
            for (var i = 1; i <= 3; i++)
            {
                foreach (var (topic, _) in topics)
                {
                    using var response = await PostAsync(http, $$"""{"channel":"{{topic}}","data":{{i}},"event":"e"}""");
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }
            }

            for (var t = 0; t < topics.Count; t++)
            {
                var (topic, master) = topics[t];
                var epoch = await EpochOfAsync(redis, topic);
                for (var i = 1; i <= 3; i++)
                {
                    Assert.Equal($$"""["3",null,"{{topic}}","msg",{"data":{{i}},"event":"e","offset":{{i}},"epoch":"{{epoch}}"}]""", await clients[t].ReceiveTextAsync());
                }

                await AssertNextFrameIsHeartbeatReplyAsync(clients[t]);

                // Node B's sharded subscription is on the master that owns the topic's slot; nothing is classic.
                Assert.Equal(1, await RedisCluster.ShardSubscribersAsync(master, ShardChannel(topic), TestContext.Current.CancellationToken));
                Assert.Equal(0, await RedisCluster.ClassicSubscribersAsync(master, $"{_prefix}topic:{topic}", TestContext.Current.CancellationToken));
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task SocketIdLeavesNodeB_PushesMeanwhile_RejoinOnNodeA_RecoversThem()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Cluster.Configuration);
        await using var a = await StartNodeAsync();
        await using var b = await StartNodeAsync();
        var adapterA = a.GetRequiredService<IPubSubAdapter>();
        const string socketId = "user_socket:42";
        const string topic = "room:recover";
        using var http = a.CreateHttpClient();

        var onB = await JoinAsync(b, topic, "user=42&vsn=2.0.0");
        using (var response = await PostAsync(http, $$"""{"channel":"{{topic}}","data":1,"event":"e"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var epoch = await EpochOfAsync(redis, topic);
        Assert.Equal($$"""["3",null,"{{topic}}","msg",{"data":1,"event":"e","offset":1,"epoch":"{{epoch}}"}]""", await onB.ReceiveTextAsync());
        using (var timeout = new CancellationTokenSource(Timeout))
        {
            await onB.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }

        await onB.DisposeAsync();
        await Eventually.TrueAsync(
            () => adapterA.FindResumePositionAsync(socketId, topic, TestContext.Current.CancellationToken).AsTask().GetAwaiter().GetResult()?.Offset == 1,
            "node B saved where the socket stood, and node A finds it");
        for (var i = 2; i <= 3; i++)
        {
            using var response = await PostAsync(http, $$"""{"channel":"{{topic}}","data":{{i}},"event":"e"}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The API answers once the pushes are accepted; the recovery must find them in the history, not live.
        await Eventually.TrueAsync(
            () => (long)redis.GetDatabase().HashGet($"{_prefix}h:{{t:{topic}}}:meta", "o") == 3,
            "both pushes are in the topic's history");
        await using var onA = await TestWebSocket.ConnectAsync(a.SocketUri("user=42&vsn=2.0.0"));
        await onA.SendTextAsync($$"""["3","3","{{topic}}","phx_join",{}]""");

        Assert.Equal($$$"""["3","3","{{{topic}}}","phx_reply",{"status":"ok","response":{}}]""", await onA.ReceiveTextAsync());
        Assert.Equal($$"""["3",null,"{{topic}}","recovery",{"recovered":true,"epoch":"{{epoch}}","offset":3,"missed":2}]""", await onA.ReceiveTextAsync());
        Assert.Equal($$"""["3",null,"{{topic}}","msg",{"data":2,"event":"e","offset":2,"epoch":"{{epoch}}"}]""", await onA.ReceiveTextAsync());
        Assert.Equal($$"""["3",null,"{{topic}}","msg",{"data":3,"event":"e","offset":3,"epoch":"{{epoch}}"}]""", await onA.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(onA);
    }

    [Fact]
    public async Task DisconnectBySocketId_OnNodeA_ClosesTheSocketOnNodeB()
    {
        await using var a = await StartNodeAsync();
        await using var b = await StartNodeAsync();
        await using var userOnB = await TestWebSocket.ConnectAsync(b.SocketUri("user=7&vsn=2.0.0"));
        await using var otherOnB = await TestWebSocket.ConnectAsync(b.SocketUri("user=8&vsn=2.0.0"));
        await AssertNextFrameIsHeartbeatReplyAsync(userOnB);

        var closedHere = await a.GetRequiredService<PushEx.Pipeline.IPushPublisher>().DisconnectSocketsAsync("user_socket:7", TestContext.Current.CancellationToken);

        Assert.Equal(0, closedHere);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await userOnB.ReceiveCloseAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(otherOnB);
    }

    [Fact]
    public async Task ClusterLoad_TwoNodes_EachReadsTheOthersCount_AndLeaveRemovesIt()
    {
        // The rebalancer's counts are one hash, so every command on them touches one slot.
        await using var a = await StartNodeAsync();
        await using var b = await StartNodeAsync();
        var (loadA, loadB) = (a.GetRequiredService<IClusterLoad>(), b.GetRequiredService<IClusterLoad>());
        var maxAge = TimeSpan.FromSeconds(15);

        Assert.True(await loadA.ReportAsync(7, TestContext.Current.CancellationToken));
        Assert.True(await loadB.ReportAsync(3, TestContext.Current.CancellationToken));

        Assert.Equal(3, Assert.Single((await loadA.ReadOthersAsync(maxAge, TestContext.Current.CancellationToken))!).Sockets);
        Assert.Equal(7, Assert.Single((await loadB.ReadOthersAsync(maxAge, TestContext.Current.CancellationToken))!).Sockets);
        await loadB.LeaveAsync(TestContext.Current.CancellationToken);
        Assert.Empty((await loadA.ReadOthersAsync(maxAge, TestContext.Current.CancellationToken))!);
    }

    [Fact]
    public async Task Auto_NodesStartedBeforeTheCluster_DecideShardedOnceItIsUp()
    {
        await using var cluster = RedisCluster.Reserve();
        await using var a = await StartNodeAsync(configuration: cluster.Configuration);
        await using var b = await StartNodeAsync(configuration: cluster.Configuration);
        Assert.Equal(503, await a.ReadinessAsync());
        await using var onB = await JoinAsync(b, "t");

        await cluster.StartServersAsync(TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(
            () => a.ReadinessAsync().GetAwaiter().GetResult() == 200 && b.ReadinessAsync().GetAwaiter().GetResult() == 200,
            "both nodes connected to the cluster",
            TimeSpan.FromSeconds(30));
        var master = await cluster.MasterOfKeyAsync(ShardChannel("t"), TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(
            () => RedisCluster.ShardSubscribersAsync(master, ShardChannel("t")).GetAwaiter().GetResult() == 1,
            "node B subscribed to the topic's shard channel on its master",
            TimeSpan.FromSeconds(30));
        var push = CreatePush(a, "t", "1");

        Assert.True(await a.GetRequiredService<IPubSubAdapter>().PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{push.Position?.Epoch}}"}]""", await onB.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(onB);
    }

    [Fact]
    public async Task ClusterOfOneMaster_ThatNoNodeHasMet_TakesPushes()
    {
        // CLUSTER NODES on a lone master gives no address for itself; it must still count as reachable.
        await using var lone = await RedisShardCluster.StartAsync("redis-server", shards: 1);
        await using var host = await StartNodeAsync(configuration: lone.Configuration);
        await using var client = await JoinAsync(host, "t");
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, """{"channel":"t","data":1,"event":"e"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("""["3",null,"t","msg",{"data":1,""", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        Assert.False(host.GetRequiredService<IPubSubAdapter>().IsDegraded);
    }

    [Fact]
    public async Task StandaloneMode_OnACluster_UsesClassicChannels()
    {
        await using var host = await StartNodeAsync(RedisPubSubMode.Standalone);
        await using var client = await JoinAsync(host, "t");
        var adapter = host.GetRequiredService<IPubSubAdapter>();

        var push = CreatePush(host, "t", "1");
        Assert.True(await adapter.PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));

        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{push.Position?.Epoch}}"}]""", await client.ReceiveTextAsync());
        var master = await Cluster.MasterOfKeyAsync($"{_prefix}h:{{t:t}}:meta", TestContext.Current.CancellationToken);
        Assert.Equal(0, await RedisCluster.ShardSubscribersAsync(master, ShardChannel("t"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ShardChannel_OfAnyTopicAndPrefix_IsInTheSlotOfTheTopicsHistory()
    {
        // Redis's own CLUSTER KEYSLOT: the publish script may SPUBLISH only to a channel of its keys' slot.
        var port = Cluster.MasterPorts[0];
        foreach (var prefix in new[] { "pushex:", string.Empty, "{app}:", "a{b:", "}" })
        {
            var channels = new RedisChannels(prefix, sharded: true);
            foreach (var topic in new[] { "user:1", string.Empty, "}", "}x", "{a}", "a{b}c", "x}y{z", "{", "{}" })
            {
                var meta = await KeySlotAsync(port, channels.History(topic)[0]!);
                Assert.True(meta == await KeySlotAsync(port, channels.History(topic)[1]!), $"Prefix '{prefix}', topic '{topic}': meta and log in different slots.");
                Assert.True(meta == await KeySlotAsync(port, channels.TopicName(topic)), $"Prefix '{prefix}', topic '{topic}': channel and history in different slots.");
                Assert.True(meta == await KeySlotAsync(port, channels.SlotKey(topic)!), $"Prefix '{prefix}', topic '{topic}': the slot key is not in the history's slot.");
                Assert.True(channels.Topic(topic).IsSharded);
            }
        }

        Assert.False(new RedisChannels("pushex:", sharded: false).Topic("t").IsSharded);
        Assert.Equal("pushex:topic:t", new RedisChannels("pushex:", sharded: false).TopicName("t"));

        static async Task<string> KeySlotAsync(int port, string key) =>
            (await RedisCluster.CliAsync(port, ["CLUSTER", "KEYSLOT", key], TestContext.Current.CancellationToken)).Trim();
    }

    [Fact]
    public async Task ShardedMode_OnAStandaloneRedis_DeliversThroughShardChannels()
    {
        // Redis 7.0 has SSUBSCRIBE and SPUBLISH without a cluster too; the option forces them.
        await using var redis = await RedisServer.StartAsync();
        await using var a = await PushExTestHost.StartAsync(configurePushEx: pushEx => pushEx.AddRedis(options => ConfigureSharded(options, redis)));
        await using var b = await PushExTestHost.StartAsync(configurePushEx: pushEx => pushEx.AddRedis(options => ConfigureSharded(options, redis)));
        await using var onB = await JoinAsync(b, "t");

        var push = CreatePush(a, "t", "1");
        Assert.True(await a.GetRequiredService<IPubSubAdapter>().PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));

        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{push.Position?.Epoch}}"}]""", await onB.ReceiveTextAsync());
        Assert.Equal(1, await RedisCluster.ShardSubscribersAsync(redis.Port, $"{_prefix}h:{{t:t}}:channel", TestContext.Current.CancellationToken));
        Assert.Equal(0, await RedisCluster.ClassicSubscribersAsync(redis.Port, $"{_prefix}topic:t", TestContext.Current.CancellationToken));
        await AssertNextFrameIsHeartbeatReplyAsync(onB);
    }

    [Fact]
    public async Task UndefinedPubSubMode_RefusedAtStart()
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => PushExTestHost.StartAsync(
            configurePushEx: pushEx => pushEx.AddRedis(options =>
            {
                RedisHosts.Configure(options, Cluster.Configuration, _prefix);
                options.PubSubMode = (RedisPubSubMode)7;
            })));

        Assert.Contains("PubSubMode", failure.Message, StringComparison.Ordinal);
    }

    private void ConfigureSharded(RedisOptions options, RedisServer redis)
    {
        RedisHosts.Configure(options, redis.Configuration, _prefix);
        options.PubSubMode = RedisPubSubMode.Sharded;
    }

    private Task<PushExTestHost> StartNodeAsync(RedisPubSubMode mode = RedisPubSubMode.Auto, string? configuration = null) =>
        PushExTestHost.StartAsync(configurePushEx: pushEx => pushEx.AddRedis(options =>
        {
            RedisHosts.Configure(options, configuration ?? Cluster.Configuration, _prefix);
            options.PubSubMode = mode;
        }));

    private string ShardChannel(string topic) => $"{_prefix}h:{{t:{topic}}}:channel";

    private async Task<string> EpochOfAsync(ConnectionMultiplexer redis, string topic)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var epoch = await redis.GetDatabase().HashGetAsync($"{_prefix}h:{{t:{topic}}}:meta", "e").WaitAsync(Timeout, TestContext.Current.CancellationToken);
            if (!epoch.IsNull)
            {
                return (string)epoch!;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until topic '{topic}' has an epoch in Redis.");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
