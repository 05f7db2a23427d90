using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PushEx.AspNetCore;
using PushEx.History;
using PushEx.PubSub;
using PushEx.PubSub.Redis;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Runs PushEx as a cluster over Redis pub/sub (one Redis, any number of nodes).</summary>
public static class PushExRedisBuilderExtensions
{
    /// <summary>Uses Redis as the backplane, with a StackExchange.Redis configuration string such as <c>localhost:6379</c>.</summary>
    public static IPushExBuilder AddRedis(this IPushExBuilder builder, string configuration) =>
        builder.AddRedis(configuration, _ => { });

    /// <summary>Uses Redis as the backplane, with a configuration string and further settings.</summary>
    public static IPushExBuilder AddRedis(this IPushExBuilder builder, string configuration, Action<RedisOptions> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        ArgumentNullException.ThrowIfNull(configure);
        return builder.AddRedis(options =>
        {
            options.Configuration = ConfigurationOptions.Parse(configuration);
            configure(options);
        });
    }

    /// <summary>
    /// Uses Redis as the backplane; <paramref name="configure"/> sets <see cref="RedisOptions.Configuration"/> or an
    /// existing multiplexer through <see cref="RedisOptions.ConnectionFactory"/>.
    /// </summary>
    public static IPushExBuilder AddRedis(this IPushExBuilder builder, Action<RedisOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<RedisOptions>().Configure(configure).ValidateOnStart();
        if (services.Any(descriptor => descriptor.ServiceType == typeof(RedisPubSubAdapter)))
        {
            // Called again: the settings above add to the first call's; one adapter, one connection.
            return builder;
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>());
        services.TryAddSingleton<HistoryPolicy>();
        services.AddSingleton<RedisPubSubAdapter>();
        services.RemoveAll<IPubSubAdapter>();
        services.AddSingleton<IPubSubAdapter>(provider => provider.GetRequiredService<RedisPubSubAdapter>());
        services.AddSingleton<IClusterLoad>(provider => provider.GetRequiredService<RedisPubSubAdapter>());
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<RedisPubSubAdapter>());
        return builder;
    }
}
