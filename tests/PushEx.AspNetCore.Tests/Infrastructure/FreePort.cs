using System.Net;
using System.Net.Sockets;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>A port on 127.0.0.1 that nothing listens on now: the system picks it for a listener bound to port 0.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
