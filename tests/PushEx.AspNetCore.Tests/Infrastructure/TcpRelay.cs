using System.Net;
using System.Net.Sockets;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A stand-in for the load balancer in front of a cluster: a port on 127.0.0.1 whose connections are relayed, byte for
/// byte, to the node it currently points at. Pointing it elsewhere sends new connections there; open ones stay
/// where they are until their node closes them, as with a load balancer taking a draining node out of rotation.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Task> _relays = [];
    private readonly Task _accepting;
    private volatile Uri _target;

    public TcpRelay(Uri target)
    {
        _target = target;
        _listener.Start();
        BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    /// <summary>The address clients use, e.g. <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Sends the connections made from now on to <paramref name="target"/>.</summary>
    public void PointAt(Uri target) => _target = target;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Task[] relays;
        lock (_lock)
        {
            relays = [.. _relays];
        }

        await Task.WhenAll([_accepting, .. relays]).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_lock)
            {
                _relays.RemoveAll(relay => relay.IsCompleted);
                _relays.Add(RelayAsync(client, _target));
            }
        }
    }

    private async Task RelayAsync(TcpClient client, Uri target)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(target.Host, target.Port, _stop.Token);
                var downstream = client.GetStream();
                var toNode = downstream.CopyToAsync(upstream.GetStream(), _stop.Token);
                var toClient = upstream.GetStream().CopyToAsync(downstream, _stop.Token);

                // Either side closing ends the pair; the using blocks then close the other.
                await Task.WhenAny(toNode, toClient);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // The node refused or went away: the client sees its connection end, as behind a real balancer.
            }
        }
    }
}
