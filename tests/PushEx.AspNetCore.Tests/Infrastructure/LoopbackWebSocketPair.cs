using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A server and a client <see cref="WebSocket"/> joined by a real TCP connection on 127.0.0.1, without an HTTP
/// server in between: for testing a transport against .NET's own WebSocket, frame by frame.
/// </summary>
public sealed class LoopbackWebSocketPair : IDisposable
{
    private LoopbackWebSocketPair(WebSocket server, WebSocket client)
    {
        Server = server;
        Client = client;
    }

    public WebSocket Server { get; }

    public WebSocket Client { get; }

    /// <summary>
    /// Connects a pair. <paramref name="socketBufferBytes"/>, when given, shrinks both kernel buffers between the
    /// server's writes and the client's reads, so a client that reads nothing stops the server's writes early.
    /// </summary>
    public static async Task<LoopbackWebSocketPair> ConnectAsync(int? socketBufferBytes = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);

        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (socketBufferBytes is { } clientBytes)
        {
            // Set before connecting: the receive window is agreed on in the handshake.
            client.ReceiveBufferSize = clientBytes;
        }

        await client.ConnectAsync(listener.LocalEndPoint!, timeout.Token);
        var server = await listener.AcceptAsync(timeout.Token);
        if (socketBufferBytes is { } serverBytes)
        {
            server.SendBufferSize = serverBytes;
        }

        return new LoopbackWebSocketPair(
            WebSocket.CreateFromStream(new NetworkStream(server, ownsSocket: true), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero }),
            WebSocket.CreateFromStream(new NetworkStream(client, ownsSocket: true), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero }));
    }

    public void Dispose()
    {
        Client.Abort();
        Client.Dispose();
        Server.Abort();
        Server.Dispose();
    }
}
