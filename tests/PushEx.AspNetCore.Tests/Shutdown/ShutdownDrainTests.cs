using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PushEx.AspNetCore.Shutdown;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Pipeline;
using PushEx.PubSub;
using PushEx.PubSub.Redis;
using PushEx.Sockets;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;

namespace PushEx.AspNetCore.Tests.Shutdown;

public sealed class ShutdownDrainTests
{
    [Fact]
    public async Task Stop_WithDisconnect_DeliversBufferedPushesFirstThenCloses1012()
    {
        GatedPubSubAdapter? gate = null;
        await using var host = await PushExTestHost.StartAsync(
            options =>
            {
                options.DisconnectSocketsOnShutdown = true;
                options.ShutdownDisconnectWindow = TimeSpan.Zero;
            },
            services => services.AddSingleton<IPubSubAdapter>(provider =>
                gate = new GatedPubSubAdapter(ActivatorUtilities.CreateInstance<InMemoryPubSubAdapter>(provider))));
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());
        await client.SendTextAsync("""["3","3","t","phx_join",{}]""");
        await client.ReceiveTextAsync();

        // Live once a later frame is answered (its history read done): pushes that arrive while a join reads the
        // history are held until then, and a socket the drain closes meanwhile would not get them.
        await PubSub.PubSubAdapterSpecification.AssertNextFrameIsHeartbeatReplyAsync(client);
        var publisher = host.GetRequiredService<IPushPublisher>();
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(PublishResult.Accepted, publisher.TryPublish("t", "e", JsonSerializer.SerializeToElement(i)));
        }

        var stopping = host.StopAsync();
        await Eventually.TrueAsync(() => host.GetRequiredService<DrainState>().IsDraining, "the drain began");
        gate!.Open();

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal($$"""["3",null,"t","msg",{"data":{{i}},"event":"e","offset":{{i + 1}},"epoch":"…"}]""", Epochs.Mask(await client.ReceiveTextAsync()));
        }

        Assert.Equal((WebSocketCloseStatus)1012, await client.ReceiveCloseAsync());
        await stopping.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Stop_WithRedis_BufferedPushesReachASubscriberOnTheOtherNode()
    {
        await using var redis = await RedisServer.StartAsync();
        GatedPubSubAdapter? gate = null;
        await using var a = await PushExTestHost.StartAsync(
            configurePushEx: pushEx => pushEx.AddRedis(options => RedisHosts.Configure(options, redis.Configuration, "pushex:")),
            configureServices: services => services.AddSingleton<IPubSubAdapter>(provider =>
                gate = new GatedPubSubAdapter(provider.GetRequiredService<RedisPubSubAdapter>())));
        await using var b = await RedisHosts.StartAsync(redis.Configuration);
        await using var onB = await TestWebSocket.ConnectAsync(b.SocketUri());
        await onB.SendTextAsync("""["3","3","t","phx_join",{}]""");
        await onB.ReceiveTextAsync();
        var publisher = a.GetRequiredService<IPushPublisher>();
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(PublishResult.Accepted, publisher.TryPublish("t", "e", JsonSerializer.SerializeToElement(i)));
        }

        var stopping = a.StopAsync();
        await Eventually.TrueAsync(() => a.GetRequiredService<DrainState>().IsDraining, "node A began draining");
        gate!.Open();
        await stopping.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        var epoch = await PubSub.RedisHistoryTests.EpochOfAsync(redis, "t");
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal($$"""["3",null,"t","msg",{"data":{{i}},"event":"e","offset":{{i + 1}},"epoch":"{{epoch}}"}]""", await onB.ReceiveTextAsync());
        }
    }

    [Fact]
    public async Task Drain_RefusesUpgradesWith503_ClosesApiConnections_AndFailsReadiness()
    {
        GatedPubSubAdapter? gate = null;
        await using var host = await PushExTestHost.StartAsync(
            configureServices: services => services.AddSingleton<IPubSubAdapter>(provider =>
                gate = new GatedPubSubAdapter(ActivatorUtilities.CreateInstance<InMemoryPubSubAdapter>(provider))));
        using var http = host.CreateHttpClient();
        using (var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // One push held in the pipeline keeps the drain in its first stage while the test looks around.
        using (var held = await PostAsync(http, """{"channel":"t","data":0,"event":"e"}"""))
        {
            Assert.False(held.Headers.ConnectionClose ?? false);
        }

        var stopping = host.StopAsync();
        await Eventually.TrueAsync(() => host.GetRequiredService<DrainState>().IsDraining, "the drain began");

        Assert.Equal(503, await TestWebSocket.GetUpgradeStatusAsync(host.SocketUri()));
        using (var during = await PostAsync(http, """{"channel":"t","data":1,"event":"e"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, during.StatusCode);
            Assert.True(during.Headers.ConnectionClose);
        }

        using (var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        gate!.Open();
        await stopping.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        Assert.Equal(0, host.GetRequiredService<PushPipeline>().Pending);
    }

    [Fact]
    public async Task Stop_ThousandSockets_ClosesSpreadOverTheWindow_WithinTheBudget()
    {
        const int Count = 1000;
        var window = TimeSpan.FromSeconds(2);
        var shutdownTimeout = TimeSpan.FromSeconds(5);
        await using var host = await PushExTestHost.StartAsync(options =>
        {
            options.DisconnectSocketsOnShutdown = true;
            options.ShutdownDisconnectWindow = window;
            options.ShutdownTimeout = shutdownTimeout;
        });
        var sockets = new ClientWebSocket[Count];
        for (var i = 0; i < Count; i++)
        {
            sockets[i] = new ClientWebSocket();
            await sockets[i].ConnectAsync(host.SocketUri(), TestContext.Current.CancellationToken);
        }

        var closes = sockets.Select(ReceiveCloseAsync).ToArray();
        var started = Stopwatch.GetTimestamp();
        await host.StopAsync();
        var stopTook = Stopwatch.GetElapsedTime(started);
        var closed = await Task.WhenAll(closes).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.All(closed, close => Assert.Equal((WebSocketCloseStatus)1012, close.Status));
        var offsets = closed.Select(close => Stopwatch.GetElapsedTime(started, close.At)).Order().ToArray();
        Assert.True(offsets[^1] - offsets[0] >= window * 0.75, $"closes spanned only {offsets[^1] - offsets[0]}");
        var busiestTenth = offsets.GroupBy(offset => (int)(offset / (window / 10))).Max(group => group.Count());
        Assert.True(busiestTenth <= Count / 5, $"{busiestTenth} of {Count} closes fell in one tenth of the window");
        // The budget: each of the three stages (pipeline, sockets, last pushes) is bounded by ShutdownTimeout; a second for the host.
        Assert.True(stopTook < (3 * shutdownTimeout) + TimeSpan.FromSeconds(1), $"the stop took {stopTook}");

        foreach (var socket in sockets)
        {
            socket.Dispose();
        }
    }

    [Fact]
    public async Task Stop_WithoutDisconnect_ClosesNothingEarly_AndStillCompletes()
    {
        await using var host = await PushExTestHost.StartAsync(
            configureServices: services => services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(2)));
        using var client = new ClientWebSocket();
        await client.ConnectAsync(host.SocketUri(), TestContext.Current.CancellationToken);
        var close = ReceiveCloseAsync(client);

        var started = Stopwatch.GetTimestamp();
        await host.StopAsync();
        var stopTook = Stopwatch.GetElapsedTime(started);
        var (status, at) = await close.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        // The socket was not closed by the drain: the host dropped it when its own shutdown timeout ended.
        Assert.Null(status);
        Assert.True(Stopwatch.GetElapsedTime(started, at) >= TimeSpan.FromSeconds(1.5), "the socket ended before the host's timeout");
        Assert.True(stopTook < TimeSpan.FromSeconds(8), $"the stop took {stopTook}");
    }

    [Fact]
    public async Task Stop_PushesAcceptedDuringTheSocketStage_AreBroadcastBeforeTheHostStops()
    {
        GatedPubSubAdapter? gate = null;
        await using var host = await PushExTestHost.StartAsync(
            options =>
            {
                options.DisconnectSocketsOnShutdown = true;
                options.ShutdownDisconnectWindow = TimeSpan.Zero;
            },
            services => services.AddSingleton<IPubSubAdapter>(provider =>
                gate = new GatedPubSubAdapter(ActivatorUtilities.CreateInstance<InMemoryPubSubAdapter>(provider))));
        var client = await TestWebSocket.ConnectAsync(host.SocketUri());
        var publisher = host.GetRequiredService<IPushPublisher>();
        var pipeline = host.GetRequiredService<PushPipeline>();

        var stopping = host.StopAsync();
        // The socket stage has begun, and lasts until this client answers its close.
        Assert.Equal((WebSocketCloseStatus)1012, await client.ReceiveCloseAsync());
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(PublishResult.Accepted, publisher.TryPublish("t", "e", JsonSerializer.SerializeToElement(i)));
        }

        await client.DisposeAsync();

        // The pushes wait at the gate until the drain refuses new ones (it has closed the pipeline), or the host stops.
        await Eventually.TrueAsync(
            () => stopping.IsCompleted || publisher.TryPublish("probe", "e", JsonSerializer.SerializeToElement(0)) != PublishResult.Accepted,
            "the drain closed the pipeline or the host stopped");
        var stoppedEarly = stopping.IsCompleted;
        var pendingThen = pipeline.Pending;
        gate!.Open();
        await stopping.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        Assert.False(stoppedEarly, $"the host stopped with {pendingThen} accepted pushes not yet broadcast");
        Assert.Equal(0, pipeline.Pending);
    }

    [Fact]
    public async Task Stop_PushRequestsStillArriving_AreAccepted_UntilTheyStopForASecond()
    {
        // A load balancer goes on sending pushes until its health check sees the drain: refusing them would fail them.
        await using var host = await PushExTestHost.StartAsync(options =>
        {
            options.DisconnectSocketsOnShutdown = true;
            options.ShutdownDisconnectWindow = TimeSpan.Zero;
        });
        using var http = host.CreateHttpClient();
        using (var before = await PostAsync(http, """{"channel":"t","data":0,"event":"e"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var stopping = host.StopAsync();
        await Eventually.TrueAsync(() => host.GetRequiredService<DrainState>().IsDraining, "the drain began");

        // Well past the socket stage (no sockets, no window), pushes keep arriving for 1.5 s: each is taken.
        var posting = Stopwatch.StartNew();
        while (posting.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            using var response = await PostAsync(http, """{"channel":"t","data":1,"event":"e"}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(stopping.IsCompleted);
        }

        // Once they stop, the pipeline closes within the quiet second and the host stops.
        await stopping.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(PublishResult.ShuttingDown, host.GetRequiredService<IPushPublisher>().TryPublish("t", "e", JsonSerializer.SerializeToElement(2)));
    }

    [Fact]
    public async Task Stop_PushRequestsNeverStopping_AreRefusedAfterShutdownTimeout()
    {
        await using var host = await PushExTestHost.StartAsync(options =>
        {
            options.DisconnectSocketsOnShutdown = true;
            options.ShutdownDisconnectWindow = TimeSpan.Zero;
            options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        });
        using var http = host.CreateHttpClient();
        using (var before = await PostAsync(http, """{"channel":"t","data":0,"event":"e"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var stopping = host.StopAsync();
        await Eventually.TrueAsync(() => host.GetRequiredService<DrainState>().IsDraining, "the drain began");

        // A caller that never stops posting here does not hold the node up: after ShutdownTimeout it gets 503.
        var refused = false;
        var posting = Stopwatch.StartNew();
        while (!refused && posting.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using var response = await PostAsync(http, """{"channel":"t","data":1,"event":"e"}""");
                refused = response.StatusCode == HttpStatusCode.ServiceUnavailable;
            }
            catch (HttpRequestException)
            {
                // The server stopped listening: the pipeline had closed before.
                refused = true;
            }
        }

        Assert.True(refused, "pushes were still accepted 10 s into the drain");
        Assert.InRange(posting.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        await stopping.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Stop_SocketOpeningAfterTheDrainsSnapshot_IsClosedWith1012AtOnce()
    {
        var shutdownTimeout = TimeSpan.FromSeconds(5);
        var handler = new HeldConnectHandler();
        await using var host = await PushExTestHost.StartAsync(
            options =>
            {
                options.DisconnectSocketsOnShutdown = true;
                options.ShutdownDisconnectWindow = TimeSpan.Zero;
                options.ShutdownTimeout = shutdownTimeout;
            },
            services => services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(8)),
            handler);
        await using var early = await TestWebSocket.ConnectAsync(host.SocketUri());

        // The late socket passes the drain check before the drain begins, then waits in the app's ConnectAsync.
        var connecting = TestWebSocket.ConnectAsync(host.SocketUri("vsn=2.0.0&token=held"));
        await handler.Held.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var stopping = host.StopAsync();

        // The early socket's 1012 shows that the drain has taken its list of open sockets. It does not answer yet,
        // so the drain keeps waiting in its socket stage while the late socket opens.
        Assert.Equal((WebSocketCloseStatus)1012, await early.ReceiveCloseAsync());
        var released = Stopwatch.GetTimestamp();
        handler.Release();
        await using var late = await connecting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        WebSocketCloseStatus? status;
        try
        {
            status = await late.ReceiveCloseAsync(TimeSpan.FromSeconds(15));
        }
        catch (ChannelClosedException)
        {
            // The connection was dropped without a close frame: the client sees 1006.
            status = null;
        }

        var after = Stopwatch.GetElapsedTime(released);
        var got = status is null ? "no close frame (1006)" : $"close {(int)status}";
        Assert.True(status == (WebSocketCloseStatus)1012 && after < shutdownTimeout / 2, $"the late socket got {got} after {after}; expected 1012 at once");

        await early.DisposeAsync();
        await late.DisposeAsync();
        await stopping.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
    }

    // Completes when the server closes (with its code) or drops the connection (null).
    private static async Task<(WebSocketCloseStatus? Status, long At)> ReceiveCloseAsync(ClientWebSocket socket)
    {
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (socket.CloseStatus, Stopwatch.GetTimestamp());
                }
            }
        }
        catch (WebSocketException)
        {
            return (null, Stopwatch.GetTimestamp());
        }
    }

    // Accepts every connect; one with token=held waits in ConnectAsync, after the drain check, until released.
    private sealed class HeldConnectHandler : ISocketHandler
    {
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Held => _held.Task;

        public void Release() => _release.TrySetResult();

        public async ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context, CancellationToken cancellationToken)
        {
            if (context.GetParam("token") == "held")
            {
                _held.TrySetResult();
                await _release.Task.WaitAsync(cancellationToken);
            }

            return ConnectResult.Ok();
        }

        public string? GetSocketId(IReadOnlyDictionary<string, object?> assigns) => null;

        public string GetPresenceIdentifier(IReadOnlyDictionary<string, object?> assigns) => "anonymous";

        public ValueTask<JoinResult> JoinAsync(JoinContext context, CancellationToken cancellationToken) => ValueTask.FromResult(JoinResult.Ok());
    }
}
