using System.Net.WebSockets;
using System.Text;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A client that behaves like pushex.js after a server close: it reconnects by itself (after a short random backoff)
/// and joins its topic again, for as long as it runs. Counts its connects and the 1012 closes it was sent.
/// </summary>
public sealed class ReconnectingClient : IAsyncDisposable
{
    private readonly Uri _uri;
    private readonly string _topic;
    private readonly Random _random;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile bool _joined;
    private int _connects;
    private int _restarts;

    public ReconnectingClient(Uri uri, string topic, int seed)
    {
        _uri = uri;
        _topic = topic;
        _random = new Random(seed);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Connected, and its join was answered ok.</summary>
    public bool Joined => _joined;

    public int Connects => Volatile.Read(ref _connects);

    /// <summary>How often the server closed it with 1012 (service restart: a drain or the rebalancer).</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var stopping = _stop.Token;
        var buffer = new byte[4096];
        while (!stopping.IsCancellationRequested)
        {
            using var socket = new ClientWebSocket();
            try
            {
                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                {
                    connect.CancelAfter(TimeSpan.FromSeconds(5));
                    await socket.ConnectAsync(_uri, connect.Token);
                    Interlocked.Increment(ref _connects);
                    await socket.SendAsync(Encoding.UTF8.GetBytes($$"""["1","1","{{_topic}}","phx_join",{}]"""), WebSocketMessageType.Text, endOfMessage: true, connect.Token);
                    var reply = await socket.ReceiveAsync(buffer, connect.Token);
                    _joined = reply.MessageType == WebSocketMessageType.Text
                        && Encoding.UTF8.GetString(buffer, 0, reply.Count).Contains("\"status\":\"ok\"", StringComparison.Ordinal);
                }

                while (true)
                {
                    var frame = await socket.ReceiveAsync(buffer, stopping);
                    if (frame.MessageType == WebSocketMessageType.Close)
                    {
                        _joined = false;
                        if (socket.CloseStatus == (WebSocketCloseStatus)1012)
                        {
                            Interlocked.Increment(ref _restarts);
                        }

                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, stopping);
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                // Refused (the node is draining), dropped, or stopping: try again, as pushex.js does.
            }
            finally
            {
                _joined = false;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(20, 200)), stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
