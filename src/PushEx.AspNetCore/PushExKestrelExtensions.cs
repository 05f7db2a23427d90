using Microsoft.AspNetCore.Server.Kestrel.Core;
using PushEx.AspNetCore.Sockets.Connections;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Lets PushEx sockets run on Kestrel's connections rather than as upgraded HTTP requests.</summary>
public static class PushExKestrelExtensions
{
    /// <summary>
    /// Serves PushEx sockets on every endpoint Kestrel binds (from URLs, configuration or code) on the connection
    /// itself: after the handshake nothing of the HTTP request stays, which saves most of an idle socket's memory and
    /// a pool thread per write. This sets Kestrel's endpoint defaults (<c>ConfigureEndpointDefaults</c>); an app that
    /// sets its own calls <see cref="UsePushEx(ListenOptions)"/> in them instead. HTTPS endpoints bound from URLs add
    /// TLS above this, so their sockets take the upgraded-request path; to serve them on the connection too, call
    /// <see cref="UsePushEx(ListenOptions)"/> after <c>UseHttps()</c> on the endpoint.
    /// </summary>
    public static IWebHostBuilder UsePushExTransport(this IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UsePushEx()));
    }

    /// <summary>
    /// Serves PushEx sockets on this endpoint's connections (see <see cref="UsePushExTransport"/>). Call it after
    /// <c>UseHttps()</c>, so that the sockets of a TLS endpoint take this path too.
    /// </summary>
    public static ListenOptions UsePushEx(this ListenOptions listenOptions)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        listenOptions.Use(next => new PushExConnectionMiddleware(next).OnConnectionAsync);
        return listenOptions;
    }
}
