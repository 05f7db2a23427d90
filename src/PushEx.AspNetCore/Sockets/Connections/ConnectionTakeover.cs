using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace PushEx.AspNetCore.Sockets.Connections;

/// <summary>
/// A connection's offer to carry a socket itself. <see cref="PushExConnectionMiddleware"/> sets one as a feature of
/// the connection the HTTP layer sees (so it is gone with the handshake); the socket endpoint finds it from the
/// handshake request and, when the socket may take the fast path, hands over what runs the socket; once Kestrel's
/// HTTP layer has let go of the connection, the middleware runs it.
/// </summary>
internal sealed class ConnectionTakeover(bool isBelowTls)
{
    private volatile SocketHandoff? _handoff;

    /// <summary>True when TLS, if any, runs below the middleware, so it sees the client's bytes decrypted.</summary>
    public bool IsBelowTls { get; } = isBelowTls;

    /// <summary>What runs the socket once the HTTP layer is done; null until a handshake took the fast path.</summary>
    public SocketHandoff? Handoff => _handoff;

    public bool IsTaken => _handoff is not null;

    /// <summary>The offer for the connection a request came on, or null when the middleware does not run on it.</summary>
    public static ConnectionTakeover? For(HttpContext context) => context.Features.Get<ConnectionTakeover>();

    /// <summary>Takes the connection over: from now on the HTTP layer reads an end of stream and its writes go nowhere.</summary>
    public void Take(SocketHandoff handoff) => _handoff = handoff;
}

/// <summary>A socket accepted by the endpoint, waiting to run on its connection.</summary>
internal abstract class SocketHandoff
{
    /// <summary>Writes the 101 and runs the socket until it ends.</summary>
    public abstract Task RunAsync(ConnectionContext connection);

    /// <summary>The socket will never run (the connection failed before the HTTP layer let go of it).</summary>
    public abstract void Abandon();
}
