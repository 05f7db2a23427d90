using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.PubSub;

/// <summary>PushEx nodes on a real Redis Cluster (three masters, a replica each), where topics use sharded pub/sub.</summary>
public sealed class RedisClusterModeTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
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
}
