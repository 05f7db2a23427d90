namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// One <see cref="RedisCluster"/> shared by the tests of a class (<c>IClassFixture</c>): starting six servers and
/// joining them takes seconds. Tests that share it keep apart by a channel prefix of their own.
/// </summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    public RedisCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Cluster = await RedisCluster.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }

    /// <summary>A channel prefix no other test uses, so each test sees its topics without history.</summary>
    public static string NewPrefix() => $"pushex-{Guid.NewGuid():N}:";
}
