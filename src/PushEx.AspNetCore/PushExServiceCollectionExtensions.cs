using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PushEx;
using PushEx.AspNetCore;
using PushEx.AspNetCore.Api;
using PushEx.AspNetCore.Health;
using PushEx.AspNetCore.Rebalancing;
using PushEx.AspNetCore.Shutdown;
using PushEx.AspNetCore.Sockets;
using PushEx.History;
using PushEx.Instrumentation;
using PushEx.Pipeline;
using PushEx.PubSub;
using PushEx.Sockets;
using PushEx.Topics;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers PushEx with an application's services.</summary>
public static class PushExServiceCollectionExtensions
{
    /// <summary>
    /// Adds PushEx: options bound from the configuration section <c>PushEx</c> and validated when the host starts,
    /// the socket and topic registries, the push pipeline with the in-memory pub/sub adapter and its topic history, the
    /// in-process <see cref="IPushPublisher"/>, <see cref="ConnectionStatistics"/> and the <c>PushEx</c> meter. Add the
    /// app's Socket behaviour with <see cref="PushExBuilderExtensions.AddSocketHandler{THandler}"/> and its API
    /// authorizer with <see cref="PushExBuilderExtensions.AddApiAuthorizer{TAuthorizer}"/>, then call <c>app.MapPushEx()</c>.
    /// </summary>
    public static IPushExBuilder AddPushEx(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        // A second call (a library and the app both calling it, say) adds nothing twice.
        if (services.Any(descriptor => descriptor.ServiceType == typeof(PushExMarkerService)))
        {
            return new PushExBuilder(services);
        }

        services.AddOptions<PushExOptions>().BindConfiguration(PushExOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PushExOptions>, PushExOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PushExOptions>, RebalanceClusterValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PushExMarkerService>();
        services.TryAddSingleton<TopicRegistry>();
        services.TryAddSingleton<SocketRegistry>();
        services.TryAddSingleton(provider => new ConnectionStatistics(
            provider.GetRequiredService<SocketRegistry>(), provider.GetRequiredService<TopicRegistry>()));
        services.TryAddSingleton<SocketSweeper>();
        services.AddHostedService(provider => provider.GetRequiredService<SocketSweeper>());
        services.TryAddSingleton<HistoryPolicy>();
        services.TryAddSingleton<SocketServices>();
        services.TryAddSingleton<PushSocketEndpoint>();

        services.AddMetrics();
        services.TryAddSingleton<PushMetrics>();
        services.TryAddSingleton<InstrumentationHooks>();
        services.TryAddSingleton<LocalBroadcaster>();
        services.TryAddSingleton<HistoryPolicy>();
        services.TryAddSingleton<InMemoryHistory>();
        services.TryAddSingleton<InMemoryResumePositions>();
        services.TryAddSingleton<IPubSubAdapter, InMemoryPubSubAdapter>();
        services.TryAddSingleton<PushPipeline>();
        services.TryAddSingleton<IPushPublisher>(provider => provider.GetRequiredService<PushPipeline>());
        services.TryAddSingleton<PushApiEndpoint>();

        services.TryAddSingleton<DrainState>();
        services.AddHostedService<ShutdownDrain>();
        services.TryAddSingleton<SocketRebalancer>();
        services.AddHostedService(provider => provider.GetRequiredService<SocketRebalancer>());
        services.AddHealthChecks().AddCheck<PushExReadinessCheck>(PushExReadinessCheck.Name, tags: [PushExReadinessCheck.ReadyTag]);
        return new PushExBuilder(services);
    }

    /// <summary>Adds PushEx as <see cref="AddPushEx(IServiceCollection)"/> does, then applies <paramref name="configure"/> to the options.</summary>
    public static IPushExBuilder AddPushEx(this IServiceCollection services, Action<PushExOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = services.AddPushEx();
        services.Configure(configure);
        return builder;
    }
}
