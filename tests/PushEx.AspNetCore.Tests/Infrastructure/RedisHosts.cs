using Microsoft.Extensions.DependencyInjection;
using PushEx.PubSub.Redis;
using StackExchange.Redis;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>Starts PushEx test hosts on one Redis, tuned for tests: no unsubscribe delay, quick reconnects.</summary>
public static class RedisHosts
{
    public static Task<PushExTestHost> StartAsync(string redisConfiguration, string channelPrefix = "pushex:", Action<PushExOptions>? configureOptions = null) =>
        PushExTestHost.StartAsync(
            configureOptions,
            configurePushEx: pushEx => pushEx.AddRedis(options => Configure(options, redisConfiguration, channelPrefix)));

    internal static void Configure(RedisOptions options, string redisConfiguration, string channelPrefix)
    {
        var configuration = ConfigurationOptions.Parse(redisConfiguration);
        configuration.ReconnectRetryPolicy = new LinearRetry(100);
        configuration.ConnectTimeout = 1000;
        options.Configuration = configuration;
        options.ChannelPrefix = channelPrefix;
        options.UnsubscribeDelay = TimeSpan.Zero;
    }
}
