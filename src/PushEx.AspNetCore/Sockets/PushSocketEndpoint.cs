using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushEx.AspNetCore.Shutdown;
using PushEx.Protocol;
using PushEx.Sockets;

namespace PushEx.AspNetCore.Sockets;

/// <summary>
/// <c>{SocketPath}/websocket</c>: checks an upgrade request in Phoenix's order (PROTOCOL.md §1.4: method, origin,
/// then our drain check, vsn, the app's connect, and only then the upgrade headers), accepts it and runs the socket
/// until it closes.
/// </summary>
internal sealed partial class PushSocketEndpoint
{
    private readonly SocketServices _services;
    private readonly DrainState _drain;
    private readonly OriginPolicy _origins;
    private readonly bool _disconnectOnShutdown;
    private readonly ILogger _logger;

    public PushSocketEndpoint(SocketServices services, DrainState drain, IOptions<PushExOptions> options, ILogger<PushSocketEndpoint> logger)
    {
        _drain = drain;
        _services = services;
        _origins = new OriginPolicy(options.Value.AllowedOrigins);
        _disconnectOnShutdown = options.Value.DisconnectSocketsOnShutdown;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        // An HTTP/2 WebSocket is an extended CONNECT (RFC 8441) rather than a GET.
        if (!HttpMethods.IsGet(request.Method) && !(HttpMethods.IsConnect(request.Method) && context.WebSockets.IsWebSocketRequest))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        if (!_origins.IsAllowed(request.Headers.Origin))
        {
            Log.OriginRefused(_logger, request.Headers.Origin);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        if (_drain.IsDraining)
        {
            // This node is going away; the client retries and the load balancer sends it elsewhere.
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        var parameters = QueryParameters.Parse(request.QueryString.Value);
        var serializer = Negotiate(parameters);
        if (serializer is null)
        {
            Log.VsnRefused(_logger);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        if (!PhoenixSubprotocol.TryRead(request, out var phoenixOffered, out var authToken))
        {
            Log.AuthTokenMalformed(_logger);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        var connection = await ConnectAsync(context, parameters, authToken).ConfigureAwait(false);
        if (connection is null)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            // Phoenix answers a plain GET that passed connect with 400 and a reason (§1.4 step 7).
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("Expected a WebSocket upgrade request.", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var reserved = ReservePlace(connection.SocketId);
        if (reserved is false)
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return;
        }

        if (ConnectionToTake(context) is { } takeover)
        {
            // The HTTP layer now finishes; the socket's 101 and frames are written on the connection itself.
            takeover.Take(new ConnectionSocket(this, connection, serializer, request.Headers.SecWebSocketKey.ToString(), phoenixOffered, reserved is true));
            context.Response.StatusCode = StatusCodes.Status101SwitchingProtocols;
            return;
        }

        WebSocket webSocket;
        WebSocketTransport transport;
        PushSocket socket;
        try
        {
            // No server pings (phoenix.js heartbeats instead) and no compression: neither costs an idle socket anything.
            webSocket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = TimeSpan.Zero,
                DangerousEnableCompression = false,
                SubProtocol = phoenixOffered ? PhoenixSubprotocol.Name : null,
            }).ConfigureAwait(false);

            var stream = context.Features.Get<ActivityTrackingUpgradeFeature>()?.Stream;
            transport = new WebSocketTransport(webSocket, _services.Options.MaxFrameBytes, ArrayPool<byte>.Shared, _services.TimeProvider, _logger, context.Abort, stream);
            socket = new PushSocket(_services, transport, serializer, connection.Assigns, connection.SocketId, connection.PresenceIdentifier, connection.ExpiresAt);
            if (stream is not null)
            {
                stream.Socket = socket;
            }

            socket.Open();
        }
        finally
        {
            if (reserved is true)
            {
                _services.Sockets.EndReservation(connection.SocketId!);
            }
        }

        using var disposeWebSocket = webSocket;
        OnOpened(socket, UpgradeTransport);
        await transport.RunAsync(socket, context.RequestAborted).ConfigureAwait(false);
    }

    // Called once a socket is open and before its transport runs, whichever path it took.
    private void OnOpened(PushSocket socket, string transport)
    {
        Log.SocketOpened(_logger, transport);
        _services.Metrics.SocketOpened(transport);
        if (_disconnectOnShutdown && _drain.IsDrainingAfterRegistration())
        {
            // The drain began after the check in HandleAsync, and may have listed the open sockets before this one
            // registered: this socket closes itself as the drain would have closed it.
            Log.OpenedWhileDraining(_logger);
            socket.Close(SocketCloseCode.ServiceRestart, "service restart");
        }
    }

    // True when a place was held for the socket id (PushEx:MaxSocketsPerSocketId), false when the id has no room, null
    // when the id is not limited. The sockets already open stay: see the option for why the new one is refused.
    private bool? ReservePlace(string? socketId)
    {
        var limit = _services.Options.MaxSocketsPerSocketId;
        if (socketId is null || limit <= 0)
        {
            return null;
        }

        if (_services.Sockets.TryReserve(socketId, limit))
        {
            return true;
        }

        Log.TooManySocketsForId(_logger, limit);
        _services.Metrics.LimitExceeded(nameof(PushExOptions.MaxSocketsPerSocketId));
        return false;
    }

    // The vsn must be a string (vsn[]=x is refused, §1.3); missing means V1.
    private static PhoenixSerializer? Negotiate(JsonElement parameters)
    {
        if (!parameters.TryGetProperty("vsn", out var vsn))
        {
            return VsnNegotiation.Negotiate(null);
        }

        return vsn.ValueKind == JsonValueKind.String ? VsnNegotiation.Negotiate(vsn.GetString()) : null;
    }

    private async Task<AcceptedConnection?> ConnectAsync(HttpContext context, JsonElement parameters, string? authToken)
    {
        var connect = new SocketConnectContext(parameters, context.Connection.RemoteIpAddress, context.Request.Headers, context.User, authToken);
        try
        {
            var result = await _services.Handler.ConnectAsync(connect, context.RequestAborted).ConfigureAwait(false);
            if (result is null || !result.IsAccepted)
            {
                Log.ConnectRefused(_logger);
                return null;
            }

            if (result.ExpiresAt is { } expiresAt && expiresAt <= _services.TimeProvider.GetUtcNow())
            {
                // Opened, it would close with 4001 at the next sweep and the client would come straight back with the
                // same token: a refusal costs no handshake and fires the client's connection error instead.
                Log.ConnectExpired(_logger);
                return null;
            }

            var assigns = connect.Assigns.AsReadOnly();
            var socketId = _services.Handler.GetSocketId(assigns);
            var presenceIdentifier = _services.Handler.GetPresenceIdentifier(assigns)
                ?? throw new InvalidOperationException($"{nameof(ISocketHandler.GetPresenceIdentifier)} returned null.");
            return new AcceptedConnection(assigns, socketId, presenceIdentifier, result.ExpiresAt);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            Log.ConnectCrashed(_logger, ex);
            return null;
        }
    }

    private sealed record AcceptedConnection(IReadOnlyDictionary<string, object?> Assigns, string? SocketId, string PresenceIdentifier, DateTimeOffset? ExpiresAt);
}
