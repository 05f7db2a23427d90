using System.Globalization;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.PubSub;
using StackExchange.Redis;

namespace PushEx.AspNetCore.Tests.PubSub;

/// <summary>The nodes' socket counts shared through a real Redis (<see cref="IClusterLoad"/>), as the rebalancer reads them.</summary>
public sealed class RedisClusterLoadTests : IAsyncLifetime
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(15);

    private RedisServer _redis = null!;
    private ConnectionMultiplexer _connection = null!;

    private IDatabase Database => _connection.GetDatabase();

    public async ValueTask InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task ReadOthers_TwoNodesReported_EachSeesTheOthersCountOnly()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration, channelPrefix: "app1:");
        await using var b = await RedisHosts.StartAsync(_redis.Configuration, channelPrefix: "app1:");
        await using var elsewhere = await RedisHosts.StartAsync(_redis.Configuration, channelPrefix: "app2:");
        var (loadA, loadB) = (a.GetRequiredService<IClusterLoad>(), b.GetRequiredService<IClusterLoad>());

        Assert.True(await loadA.ReportAsync(7, TestContext.Current.CancellationToken));
        Assert.True(await loadB.ReportAsync(3, TestContext.Current.CancellationToken));
        Assert.True(await elsewhere.GetRequiredService<IClusterLoad>().ReportAsync(100, TestContext.Current.CancellationToken));

        var fields = (await Database.HashKeysAsync("app1:nodes")).Select(field => (string)field!).ToList();
        Assert.Equal(2, fields.Count);
        var seenByA = Assert.Single((await loadA.ReadOthersAsync(MaxAge, TestContext.Current.CancellationToken))!);
        var seenByB = Assert.Single((await loadB.ReadOthersAsync(MaxAge, TestContext.Current.CancellationToken))!);
        Assert.Equal(3, seenByA.Sockets);
        Assert.Equal(7, seenByB.Sockets);
        Assert.Equal(fields.Order(), new[] { seenByA.Node, seenByB.Node }.Order());
        Assert.Equal(1, await Database.HashLengthAsync("app2:nodes"));
    }

    [Fact]
    public async Task ReadOthers_EntryOlderThanMaxAge_IsIgnoredAndRemoved()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        var old = DateTimeOffset.UtcNow.AddSeconds(-16).ToUnixTimeMilliseconds();
        var fresh = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Database.HashSetAsync("pushex:nodes", [
            new HashEntry("gone", string.Create(CultureInfo.InvariantCulture, $"500:{old}")),
            new HashEntry("garbled", "not a count"),
            new HashEntry("live", string.Create(CultureInfo.InvariantCulture, $"4:{fresh}")),
        ]);

        var others = await a.GetRequiredService<IClusterLoad>().ReadOthersAsync(MaxAge, TestContext.Current.CancellationToken);

        Assert.Equal([new NodeLoad("live", 4)], others);
        await Eventually.TrueAsync(() => Database.HashLength("pushex:nodes") == 1, "the stale and garbled entries were removed");
        Assert.True(await Database.HashExistsAsync("pushex:nodes", "live"));
    }

    [Fact]
    public async Task Stop_RebalancingNode_RemovesItsEntryAtOnce()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration, configureOptions: Rebalancing);
        var b = await RedisHosts.StartAsync(_redis.Configuration, configureOptions: Rebalancing);
        try
        {
            await Eventually.TrueAsync(() => Database.HashLength("pushex:nodes") == 2, "both nodes reported their counts");
        }
        finally
        {
            await b.DisposeAsync();
        }

        // Right away, not once the entry has aged out (3 intervals): the others stop counting it as it drains.
        Assert.Equal(1, await Database.HashLengthAsync("pushex:nodes"));
        Assert.Empty((await a.GetRequiredService<IClusterLoad>().ReadOthersAsync(MaxAge, TestContext.Current.CancellationToken))!);
    }

    private static void Rebalancing(PushExOptions options)
    {
        options.Rebalance.Enabled = true;
        options.Rebalance.Interval = TimeSpan.FromMilliseconds(200);
    }
}
