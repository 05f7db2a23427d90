using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PushEx;
using PushEx.AspNetCore;
using PushEx.AspNetCore.Sockets;
using PushEx.Sockets;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps PushEx's endpoints.</summary>
public static class PushExEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps everything PushEx serves: the socket at <c>{SocketPath}/websocket</c>. Fails at once, naming the
    /// missing call, when <c>AddPushEx()</c> or the socket handler was not registered, or when the options are invalid.
    /// </summary>
    /// <returns>A builder that applies conventions (authorization, CORS, rate limiting, host filters) to every PushEx endpoint.</returns>
    public static IEndpointConventionBuilder MapPushEx(this IEndpointRouteBuilder endpoints) => endpoints.MapPushExSocket();

    /// <summary>Maps only the socket at <c>{SocketPath}/websocket</c> (the original's custom-endpoint setup).</summary>
    public static IEndpointConventionBuilder MapPushExSocket(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        EnsureRegistered(services);

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

    private static void EnsureRegistered(IServiceProvider services)
    {
        if (services.GetService<PushExMarkerService>() is null)
        {
            throw new InvalidOperationException(
                "PushEx is not registered. Call builder.Services.AddPushEx() in the application's service configuration before MapPushEx().");
        }

        if (services.GetService<ISocketHandler>() is null)
        {
            throw new InvalidOperationException(
                $"No PushEx socket handler is registered. Implement {typeof(ISocketHandler).FullName} and register it with " +
                "builder.Services.AddPushEx().AddSocketHandler<YourSocketHandler>() before MapPushEx().");
        }
    }
}
