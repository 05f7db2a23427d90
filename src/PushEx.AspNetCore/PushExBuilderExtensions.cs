using Microsoft.Extensions.DependencyInjection.Extensions;
using PushEx.AspNetCore.Api;
using PushEx.Instrumentation;
using PushEx.Sockets;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the app's PushEx behaviours.</summary>
public static class PushExBuilderExtensions
{
    /// <summary>Registers the app's Socket behaviour as a singleton (it is called concurrently for many sockets).</summary>
    public static IPushExBuilder AddSocketHandler<THandler>(this IPushExBuilder builder)
        where THandler : class, ISocketHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<ISocketHandler, THandler>();
        return builder;
    }

    /// <summary>
    /// Registers the push API's authorizer (the original's Controller behaviour) as a singleton. <c>MapPushEx</c>
    /// refuses to map the API without one, unless <see cref="AllowApiWithEndpointAuthorizationOnly"/> was called.
    /// </summary>
    public static IPushExBuilder AddApiAuthorizer<TAuthorizer>(this IPushExBuilder builder)
        where TAuthorizer : class, IPushApiAuthorizer
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IPushApiAuthorizer, TAuthorizer>();
        return builder;
    }

    /// <summary>
    /// States that ASP.NET Core authorization on the mapped endpoints (for example
    /// <c>app.MapPushEx().RequireAuthorization("pushers")</c>) alone guards the push API, so no
    /// <see cref="IPushApiAuthorizer"/> is needed. Without it or an authorizer, <c>MapPushEx</c> fails at startup.
    /// </summary>
    public static IPushExBuilder AllowApiWithEndpointAuthorizationOnly(this IPushExBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<IPushApiAuthorizer, EndpointAuthorizationOnly>();
        return builder;
    }

    /// <summary>Adds an instrumentation; several run in the order they were added, synchronously, as in the original.</summary>
    public static IPushExBuilder AddInstrumentation<TInstrumentation>(this IPushExBuilder builder)
        where TInstrumentation : class, IPushInstrumentation
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IPushInstrumentation, TInstrumentation>();
        return builder;
    }
}
