using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A <see cref="ClientWebSocket"/> whose frames are read by one background loop into a queue, so a test can wait
/// for the next frame with a timeout (or prove that none comes) without cancelling the socket's own read, which
/// would abort the connection.
/// </summary>
public sealed class TestWebSocket : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<(WebSocketMessageType Type, byte[] Data)> _received = Channel.CreateUnbounded<(WebSocketMessageType, byte[])>();
    private readonly Task _readLoop;

    private TestWebSocket(ClientWebSocket socket)
    {
        Socket = socket;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public ClientWebSocket Socket { get; }

    /// <summary>Connects; through <paramref name="invoker"/> when given (an HTTP/2 WebSocket needs one).</summary>
    public static async Task<TestWebSocket> ConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null, HttpMessageInvoker? invoker = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(uri, invoker, timeout.Token);
        return new TestWebSocket(socket);
    }

    /// <summary>Connects and returns the HTTP status of a refused upgrade (or 101 when it was accepted).</summary>
    public static async Task<int> GetUpgradeStatusAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await socket.ConnectAsync(uri, timeout.Token);
            return (int)socket.HttpStatusCode;
        }
        catch (WebSocketException)
        {
            return (int)socket.HttpStatusCode;
        }
    }

    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendAsync(byte[] data, WebSocketMessageType type)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await Socket.SendAsync(data, type, endOfMessage: true, timeout.Token);
    }

    /// <summary>Receives the next text frame.</summary>
    public async Task<string> ReceiveTextAsync(TimeSpan? timeout = null)
    {
        var (type, data) = await ReceiveAsync(timeout);
        Assert.True(type == WebSocketMessageType.Text, $"Expected a text frame, got {type} (close status {Socket.CloseStatus}).");
        return Encoding.UTF8.GetString(data);
    }

    /// <summary>Receives the next message of any type; a close shows up as <see cref="WebSocketMessageType.Close"/>.</summary>
    public async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No frame arrived within {timeout ?? DefaultTimeout}.");
        }
    }

    /// <summary>Fails if any frame (or a close) arrives within <paramref name="period"/>.</summary>
    public async Task AssertNothingReceivedAsync(TimeSpan period)
    {
        using var cts = new CancellationTokenSource(period);
        try
        {
            var (type, data) = await _received.Reader.ReadAsync(cts.Token);
            Assert.Fail($"Expected nothing for {period}, got a {type} frame (close status {Socket.CloseStatus}): {Encoding.UTF8.GetString(data)}");
        }
        catch (OperationCanceledException)
        {
            // Nothing came: as expected.
        }
    }

    /// <summary>Reads until the server closes and returns its close code; fails on any other frame.</summary>
    public async Task<WebSocketCloseStatus?> ReceiveCloseAsync(TimeSpan? timeout = null)
    {
        var (type, data) = await ReceiveAsync(timeout);
        Assert.True(type == WebSocketMessageType.Close, $"Expected a close, got a {type} frame: {Encoding.UTF8.GetString(data)}");
        return Socket.CloseStatus;
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The server may already be gone; disposal must not fail the test.
            }
        }

        Socket.Abort();
        await _readLoop.WaitAsync(TimeSpan.FromSeconds(5));
        Socket.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await Socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await _received.Writer.WriteAsync((WebSocketMessageType.Close, []));
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    await _received.Writer.WriteAsync((result.MessageType, message.ToArray()));
                    message.SetLength(0);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection ended without a close frame; readers see that as the end of the queue.
        }
        finally
        {
            _received.Writer.TryComplete();
        }
    }
}
