using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using PushEx.AspNetCore.Sockets.Connections;
using PushEx.Protocol;
using PushEx.Sockets;

namespace PushEx.AspNetCore.Sockets;

internal sealed partial class PushSocketEndpoint
{
    private const string ConnectionTransport = "connection";
    private const string UpgradeTransport = "upgrade";

    private const int ClientKeyLength = 24;

    // The GUID of RFC 6455 §4.2.2 that the accept key hashes with the client's key.
    private static readonly byte[] AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8.ToArray();

    /// <summary>
    /// The connection the handshake came on, when the socket can run on it: PushEx is wired into Kestrel on it
    /// (and not switched off), the request is HTTP/1.1 with nothing of its response written, and any TLS runs below
    /// PushEx. Otherwise (HTTP/2, a TLS endpoint wired above TLS, a host other than Kestrel) null: the socket is then
    /// served as an upgraded request.
    /// </summary>
    private ConnectionTakeover? ConnectionToTake(HttpContext context)
    {
        if (!_services.Options.ServeSocketsOnConnection || ConnectionTakeover.For(context) is not { IsTaken: false } takeover)
        {
            return null;
        }

        // One key of 16 bytes in base64, as every client sends; anything odder is left to ASP.NET Core's own reading.
        var keys = context.Request.Headers.SecWebSocketKey;
        var tls = context.Features.Get<ITlsConnectionFeature>() is not null;
        return HttpProtocol.IsHttp11(context.Request.Protocol)
            && !context.Response.HasStarted
            && (!tls || takeover.IsBelowTls)
            && keys.Count == 1 && keys[0]?.Trim().Length == ClientKeyLength
            ? takeover
            : null;
    }

    private static void WriteAccept(PipeWriter output, string clientKey, bool phoenixSubprotocol)
    {
        Span<byte> keyAndGuid = stackalloc byte[ClientKeyLength + AcceptGuid.Length];
        var keyLength = Encoding.ASCII.GetBytes(clientKey.AsSpan().Trim(), keyAndGuid);
        AcceptGuid.CopyTo(keyAndGuid[keyLength..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for the accept key: it proves a WebSocket server answered, it guards no secret.
        SHA1.HashData(keyAndGuid[..(keyLength + AcceptGuid.Length)], hash);
#pragma warning restore CA5350

        var response = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: "
            + Convert.ToBase64String(hash)
            + (phoenixSubprotocol ? "\r\nSec-WebSocket-Protocol: " + PhoenixSubprotocol.Name : string.Empty)
            + "\r\n\r\n";
        output.Write(Encoding.ASCII.GetBytes(response));
    }

    /// <summary>A socket accepted on the fast path, run by <see cref="PushExConnectionMiddleware"/> once the HTTP layer let go.</summary>
    private sealed class ConnectionSocket(
        PushSocketEndpoint endpoint,
        AcceptedConnection accepted,
        PhoenixSerializer serializer,
        string clientKey,
        bool phoenixSubprotocol,
        bool reserved) : SocketHandoff
    {
        // Not async itself: once the 101 is out, the task returned is the transport's own run, so nothing of the
        // handshake waits alongside an idle socket.
        public override Task RunAsync(ConnectionContext connection)
        {
            try
            {
                WriteAccept(connection.Transport.Output, clientKey, phoenixSubprotocol);
                var flush = connection.Transport.Output.FlushAsync();
                return flush.IsCompletedSuccessfully ? Open(connection) : OpenAfterAsync(flush, connection);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
            {
                return Abandoned(ex);
            }
        }

        private async Task OpenAfterAsync(ValueTask<FlushResult> flush, ConnectionContext connection)
        {
            try
            {
                await flush.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
            {
                await Abandoned(ex).ConfigureAwait(false);
                return;
            }

            await Open(connection).ConfigureAwait(false);
        }

        // Opens the socket on the connection and returns its run.
        private Task Open(ConnectionContext connection)
        {
            var services = endpoint._services;
            ConnectionWebSocket transport;
            PushSocket socket;
            try
            {
                transport = new ConnectionWebSocket(connection, services.Options.MaxFrameBytes, services.TimeProvider, endpoint._logger);
                socket = new PushSocket(services, transport, serializer, accepted.Assigns, accepted.SocketId, accepted.PresenceIdentifier, accepted.ExpiresAt);
                socket.Open();
            }
            finally
            {
                Abandon();
            }

            endpoint.OnOpened(socket, ConnectionTransport);
            return transport.RunAsync(socket);
        }

        // The client left before its 101 went out.
        private Task Abandoned(Exception exception)
        {
            Abandon();
            Log.HandshakeAbandoned(endpoint._logger, exception);
            return Task.CompletedTask;
        }

        public override void Abandon()
        {
            if (reserved)
            {
                reserved = false;
                endpoint._services.Sockets.EndReservation(accepted.SocketId!);
            }
        }
    }
}
