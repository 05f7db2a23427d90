using System.Net;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.Extensions.Primitives;

namespace PushEx.Sockets;

/// <summary>What <see cref="ISocketHandler.ConnectAsync"/> knows about a connection attempt.</summary>
public sealed class SocketConnectContext
{
    /// <summary>Creates a context; the transport does this for every upgrade request.</summary>
    public SocketConnectContext(JsonElement parameters, IPAddress? remoteIpAddress, IDictionary<string, StringValues> headers, ClaimsPrincipal? user, string? authToken = null)
    {
        Params = parameters;
        RemoteIpAddress = remoteIpAddress;
        Headers = headers;
        User = user;
        AuthToken = authToken;
    }

    /// <summary>
    /// Every query parameter as a JSON object of strings, including <c>vsn</c>; <c>a[b]=c</c> nests as
    /// <c>{"a":{"b":"c"}}</c>, as Phoenix parses it.
    /// </summary>
    public JsonElement Params { get; }

    /// <summary>The peer's address, when the transport knows it.</summary>
    public IPAddress? RemoteIpAddress { get; }

    /// <summary>The request headers of the upgrade request.</summary>
    public IDictionary<string, StringValues> Headers { get; }

    /// <summary>The user when ASP.NET Core authentication ran for the request; otherwise null or an anonymous principal.</summary>
    public ClaimsPrincipal? User { get; }

    /// <summary>
    /// The token phoenix.js sends with its <c>authToken</c> option (in the <c>Sec-WebSocket-Protocol</c> header rather
    /// than the URL, so it stays out of access logs), or null.
    /// </summary>
    public string? AuthToken { get; }

    /// <summary>Values kept with the socket for its whole life and handed to every later callback.</summary>
    public IDictionary<string, object?> Assigns { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>Returns the query parameter <paramref name="name"/> when it is a plain string, otherwise null.</summary>
    public string? GetParam(string name) =>
        Params.ValueKind == JsonValueKind.Object && Params.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
