using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NSubstitute;
using PushEx.AspNetCore.Sockets;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Instrumentation;
using PushEx.Protocol;
using PushEx.PubSub;
using PushEx.Sockets;
using PushEx.Topics;

namespace PushEx.AspNetCore.Tests.Sockets;

public sealed class WebSocketTransportTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    // The first receive buffer is 4 KiB; a message longer than that makes the transport grow it.
    private const int FirstBufferBytes = 4 * 1024;

    private readonly ServiceProvider _provider;
    private readonly SocketServices _services;
    private readonly CheckedArrayPool _pool = new();
    private readonly List<JoinContext> _joins = [];

    public WebSocketTransportTests()
    {
        _provider = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var handler = Substitute.For<ISocketHandler>();
        handler.JoinAsync(Arg.Any<JoinContext>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            _joins.Add(call.Arg<JoinContext>());
            return ValueTask.FromResult(JoinResult.Ok());
        });
        var sockets = new SocketRegistry();
        var topics = new TopicRegistry();
        _services = new SocketServices(
            handler,
            topics,
            sockets,
            Substitute.For<IPubSubAdapter>(),
            new PushMetrics(_provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sockets, topics),
            Options.Create(new PushExOptions()),
            TimeProvider.System,
            NullLoggerFactory.Instance);
    }

    [Fact]
    public async Task RunAsync_MessageLongerThanTheFirstBuffer_IsHandledWholeAndEveryBufferReturned()
    {
        using var pair = await LoopbackWebSocketPair.ConnectAsync();
        var (transport, socket) = CreateTransport(pair.Server);
        var run = transport.RunAsync(socket, TestContext.Current.CancellationToken);

        var join = $$"""["1","1","t","phx_join",{"pad":"{{new string('x', 3 * FirstBufferBytes)}}"}]""";
        await pair.Client.SendAsync(Encoding.UTF8.GetBytes(join), WebSocketMessageType.Text, endOfMessage: true, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        // The join was decoded from all its bytes (the pad is the last thing), so growing kept what was read so far.
        Assert.Equal("""["1","1","t","phx_reply",{"status":"ok","response":{}}]""", await ReceiveTextAsync(pair.Client));
        Assert.Equal(new string('x', 3 * FirstBufferBytes), _joins.Single().Params.GetProperty("pad").GetString());
        await pair.Client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await run.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        AssertEveryBufferReturnedOnce();
    }

    [Fact]
    public async Task RunAsync_InvalidUtf8AfterTheBufferGrew_ReturnsEveryBufferOnce()
    {
        using var pair = await LoopbackWebSocketPair.ConnectAsync();
        var (transport, socket) = CreateTransport(pair.Server);
        var run = transport.RunAsync(socket, TestContext.Current.CancellationToken);

        // Valid text up to the end of the first buffer, then bytes that are never UTF-8: the read after the buffer
        // grew is the one that fails (.NET's WebSocket closes with 1007 and throws).
        var message = new byte[FirstBufferBytes + 1024];
        message.AsSpan(0, FirstBufferBytes).Fill((byte)'x');
        message.AsSpan(FirstBufferBytes).Fill(0xFF);
        await pair.Client.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        await run.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        AssertEveryBufferReturnedOnce();
    }

    [Fact]
    public async Task RunAsync_ConnectionDroppedMidMessageAfterTheBufferGrew_ReturnsEveryBufferOnce()
    {
        using var pair = await LoopbackWebSocketPair.ConnectAsync();
        var (transport, socket) = CreateTransport(pair.Server);
        var run = transport.RunAsync(socket, TestContext.Current.CancellationToken);

        // The first fragment of a message, longer than the first buffer; then the client vanishes.
        await pair.Client.SendAsync(new byte[FirstBufferBytes + 512], WebSocketMessageType.Binary, endOfMessage: false, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        pair.Client.Abort();

        await run.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        AssertEveryBufferReturnedOnce();
    }

    public void Dispose() => _provider.Dispose();

    private (WebSocketTransport Transport, PushSocket Socket) CreateTransport(WebSocket webSocket)
    {
        var transport = new WebSocketTransport(webSocket, _services.Options.MaxFrameBytes, _pool, TimeProvider.System, NullLogger.Instance, abortConnection: () => { });
        var socket = new PushSocket(_services, transport, V2JsonSerializer.Instance, new Dictionary<string, object?>(), socketId: null, presenceIdentifier: "anonymous");
        socket.Open();
        return (transport, socket);
    }

    private static async Task<string> ReceiveTextAsync(WebSocket client)
    {
        var buffer = new byte[1024];
        var result = await client.ReceiveAsync(buffer, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        Assert.True(result.EndOfMessage);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    private void AssertEveryBufferReturnedOnce()
    {
        Assert.True(_pool.Rents >= 2, $"Expected the receive buffer to grow at least once, but only {_pool.Rents} buffer(s) were rented.");
        Assert.Empty(_pool.Misuses);
        Assert.Equal(0, _pool.Outstanding);
    }
}
