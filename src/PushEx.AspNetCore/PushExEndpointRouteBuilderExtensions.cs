using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PushEx;
using PushEx.AspNetCore;
using PushEx.AspNetCore.Api;
using PushEx.AspNetCore.Sockets;
using PushEx.Sockets;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps PushEx's endpoints.</summary>
public static class PushExEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps everything PushEx serves: the socket at <c>{SocketPath}/websocket</c> and the push API at
    /// <c>{ApiPath}</c>. Fails at once, naming the missing call, when <c>AddPushEx()</c>, the socket handler or the
    /// API authorizer was not registered, or when the options are invalid.
    /// </summary>
    /// <returns>A builder that applies conventions (authorization, CORS, rate limiting, host filters) to every PushEx endpoint.</returns>
    public static IEndpointConventionBuilder MapPushEx(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var socket = endpoints.MapPushExSocket();
        var api = endpoints.MapPushExApi();
        return new CompositeEndpointConventionBuilder([socket, api]);
    }

    /// <summary>
    /// Maps only the push API at <c>{ApiPath}</c>. Requires an <see cref="IPushApiAuthorizer"/> (<c>AddApiAuthorizer&lt;T&gt;()</c>)
    /// or the explicit <c>AllowApiWithEndpointAuthorizationOnly()</c>.
    /// </summary>
    public static IEndpointConventionBuilder MapPushExApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        EnsurePushExAdded(services);
        if (services.GetService<IPushApiAuthorizer>() is null)
        {
            throw new InvalidOperationException(
                $"No PushEx API authorizer is registered. Implement {typeof(IPushApiAuthorizer).FullName} and register it with " +
                "builder.Services.AddPushEx().AddApiAuthorizer<YourAuthorizer>(), or, when endpoint authorization alone guards the API " +
                "(MapPushEx().RequireAuthorization(...)), say so with AddPushEx().AllowApiWithEndpointAuthorizationOnly().");
        }

        var options = services.GetRequiredService<IOptions<PushExOptions>>().Value;
        var endpoint = services.GetRequiredService<PushApiEndpoint>();
        return endpoints.Map(options.ApiPath, endpoint.HandleAsync).WithDisplayName("PushEx push API");
    }

    /// <summary>Maps only the socket at <c>{SocketPath}/websocket</c> (the original's custom-endpoint setup).</summary>
    public static IEndpointConventionBuilder MapPushExSocket(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        EnsurePushExAdded(services);
        if (services.GetService<ISocketHandler>() is null)
        {
            throw new InvalidOperationException(
                $"No PushEx socket handler is registered. Implement {typeof(ISocketHandler).FullName} and register it with " +
                "builder.Services.AddPushEx().AddSocketHandler<YourSocketHandler>() before MapPushEx().");
        }

        // Resolving the options validates them now, so a bad setting stops the app before it listens.
        var options = services.GetRequiredService<IOptions<PushExOptions>>().Value;
        var endpoint = services.GetRequiredService<PushSocketEndpoint>();

        // The WebSocket middleware runs inside the endpoint, so the app need not call UseWebSockets().
        var pipeline = endpoints.CreateApplicationBuilder();
        pipeline.Use(static (context, next) =>
        {
            ActivityTrackingUpgradeFeature.Install(context.Features);
            return next(context);
        });
        pipeline.UseWebSockets();
        pipeline.Run(endpoint.HandleAsync);

        return endpoints.Map(options.SocketPath + "/websocket", pipeline.Build()).WithDisplayName("PushEx socket");
    }

    private static void EnsurePushExAdded(IServiceProvider services)
    {
        if (services.GetService<PushExMarkerService>() is null)
        {
            throw new InvalidOperationException(
                "PushEx is not registered. Call builder.Services.AddPushEx() in the application's service configuration before MapPushEx().");
        }
    }
}
