using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.PubSub;
using PushEx.PubSub.Redis;

namespace PushEx.AspNetCore.Tests.PubSub;

/// <summary>The adapter specification against a real redis-server, one node.</summary>
public sealed class RedisPubSubAdapterTests : PubSubAdapterSpecification, IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async ValueTask InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task AddRedis_ReplacesTheInMemoryAdapter()
    {
        await using var host = await StartHostAsync();

        Assert.IsType<RedisPubSubAdapter>(host.GetRequiredService<IPubSubAdapter>());
    }

    [Fact]
    public async Task AddRedis_CalledTwice_StartsOneAdapter()
    {
        await using var host = await PushExTestHost.StartAsync(configurePushEx: pushEx =>
        {
            pushEx.AddRedis(options => RedisHosts.Configure(options, _redis.Configuration, "pushex:"));
            pushEx.AddRedis(options => options.UnsubscribeDelay = TimeSpan.FromSeconds(1));
        });

        Assert.Single(host.Services.GetServices<IHostedService>().OfType<RedisPubSubAdapter>());
        Assert.Equal(TimeSpan.FromSeconds(1), host.GetRequiredService<IOptions<RedisOptions>>().Value.UnsubscribeDelay);
    }

    protected override Task<PushExTestHost> StartHostAsync(Action<PushExOptions>? configureOptions = null) =>
        RedisHosts.StartAsync(_redis.Configuration, configureOptions: configureOptions);
}
