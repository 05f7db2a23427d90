using Microsoft.Extensions.DependencyInjection;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.PubSub.Redis;

namespace PushEx.AspNetCore.Tests.PubSub;

/// <summary>
/// The adapter specification on a real Redis Cluster (three masters, a replica each), where the adapter picks sharded
/// pub/sub by itself: every contract of one node holds with shard channels and topics spread over the shards.
/// Each test has a channel prefix of its own, so the shared cluster holds no history of another test's topics.
/// </summary>
public sealed class RedisShardedPubSubAdapterTests(RedisClusterFixture fixture) : PubSubAdapterSpecification, IClassFixture<RedisClusterFixture>
{
    private readonly string _prefix = RedisClusterFixture.NewPrefix();

    [Fact]
    public async Task Subscribe_OnACluster_SubscribesTheShardChannelOnTheTopicsMaster()
    {
        await using var host = await StartHostAsync();
        await using var client = await JoinAsync(host, "t");
        var channel = $"{_prefix}h:{{t:t}}:channel";

        var counts = new List<string>();
        foreach (var port in fixture.Cluster.MasterPorts)
        {
            counts.Add((await RedisCluster.CliAsync(port, ["PUBSUB", "SHARDNUMSUB", channel], TestContext.Current.CancellationToken)).Split('\n')[1].Trim());
        }

        Assert.Equal(["0", "0", "1"], counts.Order());
    }

    [Fact]
    public async Task LastSubscriberLeaves_TheShardSubscriptionIsReleased_NotBefore()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var host = await StartHostAsync();
        var channel = $"{_prefix}h:{{t:t}}:channel";
        var master = await fixture.Cluster.MasterOfKeyAsync(channel, cancellationToken);
        await using var first = await JoinAsync(host, "t");
        await using var second = await JoinAsync(host, "t");
        Assert.Equal(1, await RedisCluster.ShardSubscribersAsync(master, channel, cancellationToken));

        await second.SendTextAsync("""["3","4","t","phx_leave",{}]""");
        Assert.Equal("""["3","4","t","phx_reply",{"status":"ok","response":{}}]""", await second.ReceiveTextAsync());
        Assert.Equal("""["3","3","t","phx_close",{}]""", await second.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(second);
        Assert.Equal(1, await RedisCluster.ShardSubscribersAsync(master, channel, cancellationToken));
        await first.DisposeAsync();

        await Eventually.TrueAsync(
            () => RedisCluster.ShardSubscribersAsync(master, channel).GetAwaiter().GetResult() == 0,
            "the node released the topic's shard channel once its last subscriber left",
            TimeSpan.FromSeconds(30));
    }

    protected override Task<PushExTestHost> StartHostAsync(Action<PushExOptions>? configureOptions = null) =>
        PushExTestHost.StartAsync(
            configureOptions,
            configurePushEx: pushEx => pushEx.AddRedis(options =>
            {
                RedisHosts.Configure(options, fixture.Cluster.Configuration, _prefix);
                options.PubSubMode = RedisPubSubMode.Auto;
            }));
}
