using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace PushEx.AspNetCore.Sockets.Connections;

/// <summary>
/// Kestrel connection middleware that lets a PushEx socket run on the connection itself. Every request still goes
/// through Kestrel's HTTP layer and the app's pipeline unchanged, the socket handshake included (authentication,
/// routing, origin and connect checks); when the socket endpoint accepts a handshake on this connection, the HTTP
/// layer finishes and lets go of it, and the socket runs here with nothing of the request kept.
/// </summary>
internal sealed class PushExConnectionMiddleware(ConnectionDelegate next)
{
    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        // TLS set up by an earlier middleware decrypts below this one; TLS added after it would be above, out of reach.
        var takeover = new ConnectionTakeover(isBelowTls: connection.Features.Get<ITlsConnectionFeature>() is not null);

        // No local holds the handoff across the socket's long await: an idle socket keeps only what it needs.
        await ((await ServeHttpAsync(connection, takeover).ConfigureAwait(false))?.RunAsync(connection) ?? Task.CompletedTask).ConfigureAwait(false);
    }

    // Its own method, so that nothing the HTTP layer built stays reachable from the socket's long await.
    private async Task<SocketHandoff?> ServeHttpAsync(ConnectionContext connection, ConnectionTakeover takeover)
    {
        var handshake = new HandshakeConnection(connection, takeover);
        try
        {
            await next(handshake).ConfigureAwait(false);
        }
        catch
        {
            takeover.Handoff?.Abandon();
            throw;
        }
        finally
        {
            handshake.Detach();
        }

        return takeover.Handoff;
    }
}
