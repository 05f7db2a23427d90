namespace PushEx.Sockets;

/// <summary>
/// The app's Socket behaviour (the original's <c>PushEx.Behaviour.Socket</c>): who may connect, how a
/// connection is named, and who may join which topic. Register one with
/// <c>services.AddPushEx().AddSocketHandler&lt;T&gt;()</c>; it is a singleton, called concurrently for many sockets.
/// </summary>
/// <remarks>
/// An exception thrown by <see cref="ConnectAsync"/>, <see cref="GetSocketId"/> or
/// <see cref="GetPresenceIdentifier"/> refuses the connection (HTTP 403) and is logged; one thrown by
/// <see cref="JoinAsync"/> answers the join with <c>{"reason":"join crashed"}</c> and the socket stays up.
/// </remarks>
public interface ISocketHandler
{
    /// <summary>
    /// Decides whether a connection may open. Runs in the HTTP upgrade request, before the WebSocket handshake.
    /// Put what later callbacks need (a user id, say) into <see cref="SocketConnectContext.Assigns"/>.
    /// </summary>
    /// <returns>
    /// <see cref="ConnectResult.Ok()"/> to open the socket, <see cref="ConnectResult.Ok(DateTimeOffset)"/> to open it until
    /// its credentials expire (then it closes with 4001 and the client reconnects), <see cref="ConnectResult.Error"/> to
    /// answer 403.
    /// </returns>
    ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Names the connection, or returns null for an anonymous one. Every socket with the same id is disconnected
    /// together when the app disconnects that id (a user's "log out everywhere").
    /// </summary>
    string? GetSocketId(IReadOnlyDictionary<string, object?> assigns);

    /// <summary>The identifier under which this connection and its channels appear in the connection statistics.</summary>
    string GetPresenceIdentifier(IReadOnlyDictionary<string, object?> assigns);

    /// <summary>Decides whether the socket may join a topic. The client waits for the answer; no other frame of that socket is handled meanwhile.</summary>
    /// <returns><see cref="JoinResult.Ok()"/>, <see cref="JoinResult.Ok(object)"/> with a reply, or <see cref="JoinResult.Error(object)"/>.</returns>
    ValueTask<JoinResult> JoinAsync(JoinContext context, CancellationToken cancellationToken);
}
