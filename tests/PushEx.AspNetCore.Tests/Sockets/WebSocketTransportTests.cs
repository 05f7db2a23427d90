using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using PushEx.AspNetCore.Sockets;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.History;
using PushEx.Instrumentation;
using PushEx.Pipeline;
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
        var backplane = Substitute.For<IPubSubAdapter>();
        backplane.ReadHistoryAsync(Arg.Any<string>(), Arg.Any<long>(), Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult(HistoryRead.None));
        var options = Options.Create(new PushExOptions());
        _services = new SocketServices(
            handler,
            topics,
            sockets,
            backplane,
            new HistoryPolicy(options),
            new PushMetrics(_provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sockets, topics),
            new InstrumentationHooks([], TimeProvider.System, NullLogger<InstrumentationHooks>.Instance),
            options,
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

    [Fact]
    public async Task Abort_WhileASendWaitsOnAClientThatReadsNothing_FailsTheSend()
    {
        using var pair = await LoopbackWebSocketPair.ConnectAsync(socketBufferBytes: 4096);
        var connectionAborts = 0;
        var transport = new WebSocketTransport(pair.Server, _services.Options.MaxFrameBytes, _pool, TimeProvider.System, NullLogger.Instance, () => Interlocked.Increment(ref connectionAborts));

        // Far more than the kernel buffers between the two ends hold: this write cannot finish while the client reads nothing.
        var send = transport.SendAsync(new OutboundFrame(new byte[1024 * 1024], isBinary: true), CancellationToken.None).AsTask();
        transport.Abort();

        var failure = await Record.ExceptionAsync(() => send.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.NotNull(failure);
        Assert.IsNotType<TimeoutException>(failure);
        Assert.Equal(1, Volatile.Read(ref connectionAborts));
    }

    [Fact]
    public async Task RunAsync_OnKestrelIdleClientStoppedReading_SocketEndsAfterTheCloseWriteTimeout()
    {
        var time = new FakeTimeProvider();
        var idleTimeout = new PushExOptions().IdleTimeout;
        await using var host = await PushExTestHost.StartAsync(
            options => options.SocketSendQueueLimit = 64 * 1024 * 1024,
            services => services.AddSingleton<TimeProvider>(time));
        var statistics = host.GetRequiredService<ConnectionStatistics>();

        // A client with a small receive window that joins and then never reads again.
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler { ConnectCallback = ConnectWithSmallReceiveBufferAsync });
        using var client = new ClientWebSocket();
        await client.ConnectAsync(host.SocketUri(), invoker, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await client.SendAsync("""["3","3","t","phx_join",{}]"""u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => statistics.ChannelCount == 1, "the client joined");

        // 16 MB of pushes, far more than Kestrel's output buffer and the kernel's socket buffers (4 MB at most) hold:
        // the server's writes to this client get stuck, with frames still queued behind them.
        var publisher = host.GetRequiredService<IPushPublisher>();
        var pipeline = host.GetRequiredService<PushPipeline>();
        var data = Encoding.UTF8.GetBytes($"\"{new string('x', 32 * 1024)}\"");
        for (var i = 0; i < 512; i++)
        {
            Assert.Equal(PublishResult.Accepted, publisher.TryPublish("t", "msg", data));
        }

        await Eventually.TrueAsync(() => pipeline.Pending == 0, "every push was queued for the client");

        // The idle timeout closes the socket (1001) behind the stuck writes; only the close's deadline can end it now.
        time.Advance(idleTimeout);
        time.Advance(SocketOutbox.CloseWriteTimeout);

        await Eventually.TrueAsync(() => statistics.SocketCount == 0, "the socket behind the stuck writes ended");
    }

    public void Dispose() => _provider.Dispose();

    private static async ValueTask<Stream> ConnectWithSmallReceiveBufferAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        // Set before connecting: the receive window is agreed on in the handshake.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

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
