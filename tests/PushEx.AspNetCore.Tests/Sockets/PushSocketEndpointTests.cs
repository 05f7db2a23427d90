using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NSubstitute;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Sockets;
using PushEx.Topics;

namespace PushEx.AspNetCore.Tests.Sockets;

public sealed partial class PushSocketEndpointTests
{
    private const string OkReply = """{"status":"ok","response":{}}""";

    [Fact]
    public async Task V2Session_JoinHeartbeatLeave_AnswersExactFrames()
    {
        await using var host = await PushExTestHost.StartAsync();
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri("vsn=2.0.0"));

        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");
        Assert.Equal($"""["3","3","user-1","phx_reply",{OkReply}]""", await client.ReceiveTextAsync());

        await client.SendTextAsync("""[null,"7","phoenix","heartbeat",{}]""");
        Assert.Equal($"""[null,"7","phoenix","phx_reply",{OkReply}]""", await client.ReceiveTextAsync());

        await client.SendTextAsync("""["3","8","user-1","phx_leave",{}]""");
        Assert.Equal($"""["3","8","user-1","phx_reply",{OkReply}]""", await client.ReceiveTextAsync());
        Assert.Equal("""["3","3","user-1","phx_close",{}]""", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task V1Session_WithoutVsn_SpeaksObjectsWithoutJoinRef()
    {
        await using var host = await PushExTestHost.StartAsync();
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri(query: ""));

        await client.SendTextAsync("""{"topic":"t","event":"phx_join","payload":{},"ref":"1"}""");
        Assert.Equal($$"""{"topic":"t","event":"phx_reply","payload":{{OkReply}},"ref":"1"}""", await client.ReceiveTextAsync());

        await client.SendTextAsync("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"2"}""");
        Assert.Equal($$"""{"topic":"phoenix","event":"phx_reply","payload":{{OkReply}},"ref":"2"}""", await client.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("vsn=1.0.0")]
    [InlineData("vsn=1.0.3")]
    public async Task Upgrade_V1Vsn_SpeaksV1(string query)
    {
        await using var host = await PushExTestHost.StartAsync();
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri(query));
        await client.SendTextAsync("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"2"}""");
        Assert.StartsWith("""{"topic":"phoenix""", await client.ReceiveTextAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vsn=2")]
    [InlineData("vsn=abc")]
    [InlineData("vsn=2.1.0")]
    [InlineData("vsn=3.0.0")]
    [InlineData("vsn=123.1.1")]
    [InlineData("vsn%5B%5D=2.0.0")]
    public async Task Upgrade_UnsupportedVsn_Is403BeforeConnect(string query)
    {
        await using var host = await PushExTestHost.StartAsync();
        Assert.Equal(403, await TestWebSocket.GetUpgradeStatusAsync(host.SocketUri(query)));
        Assert.Equal(0, host.GetRequiredService<TestSocketHandler>().ConnectCalls);
    }

    [Theory]
    [InlineData("token=bad")]
    [InlineData("token=throw")]
    public async Task Upgrade_ConnectRefusedOrThrows_Is403(string token)
    {
        await using var host = await PushExTestHost.StartAsync();
        Assert.Equal(403, await TestWebSocket.GetUpgradeStatusAsync(host.SocketUri($"{token}&vsn=2.0.0")));

        // The server is unharmed: the next client connects.
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());
        Assert.Equal(WebSocketState.Open, client.Socket.State);
    }

    [Fact]
    public async Task PlainGet_AcceptedByConnect_Is400WithReason_RefusedIs403()
    {
        await using var host = await PushExTestHost.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var accepted = await http.GetAsync(new Uri("/push_socket/websocket?vsn=2.0.0", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, accepted.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(await accepted.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));

        using var refused = await http.GetAsync(new Uri("/push_socket/websocket?token=bad&vsn=2.0.0", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(string.Empty, await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        using var post = await http.PostAsync(new Uri("/push_socket/websocket?vsn=2.0.0", UriKind.Relative), content: null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
    }

    [Fact]
    public async Task Connect_ReceivesEveryQueryParameterNested_AndRequestDetails()
    {
        string? seenParams = null;
        IPAddress? seenAddress = null;
        var handler = Substitute.For<ISocketHandler>();
        handler.ConnectAsync(Arg.Any<SocketConnectContext>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            var context = call.Arg<SocketConnectContext>();
            seenParams = context.Params.GetRawText();
            seenAddress = context.RemoteIpAddress;
            return ValueTask.FromResult(ConnectResult.Ok());
        });
        handler.GetPresenceIdentifier(Arg.Any<IReadOnlyDictionary<string, object?>>()).Returns("someone");

        await using var host = await PushExTestHost.StartAsync(handler: handler);
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri("token=abc&x%5By%5D=1&vsn=2.0.0"));

        Assert.Equal("""{"token":"abc","x":{"y":"1"},"vsn":"2.0.0"}""", seenParams);
        Assert.Equal(IPAddress.Loopback, seenAddress);
    }

    [Fact]
    public async Task AuthTokenSubprotocol_IsAnsweredPhoenix_AndTheTokenReachesConnect()
    {
        string? seenToken = null;
        var handler = Substitute.For<ISocketHandler>();
        handler.ConnectAsync(Arg.Any<SocketConnectContext>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            seenToken = call.Arg<SocketConnectContext>().AuthToken;
            return ValueTask.FromResult(ConnectResult.Ok());
        });
        handler.GetPresenceIdentifier(Arg.Any<IReadOnlyDictionary<string, object?>>()).Returns("someone");
        await using var host = await PushExTestHost.StartAsync(handler: handler);

        // phoenix.js's authToken option: btoa("abc123") without padding.
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri(), options =>
        {
            options.AddSubProtocol("phoenix");
            options.AddSubProtocol("base64url.bearer.phx.YWJjMTIz");
        });

        Assert.Equal("phoenix", client.Socket.SubProtocol);
        Assert.Equal("abc123", seenToken);
        Assert.Equal(403, await TestWebSocket.GetUpgradeStatusAsync(host.SocketUri(), options =>
        {
            options.AddSubProtocol("phoenix");
            options.AddSubProtocol("base64url.bearer.phx.!!!");
        }));
    }

    [Fact]
    public async Task IdleTimeout_NoClientTraffic_ClosesWithGoingAway()
    {
        await using var host = await PushExTestHost.StartAsync(options => options.IdleTimeout = TimeSpan.FromMilliseconds(300));
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());

        var code = await client.ReceiveCloseAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, code);
        Assert.NotEqual(WebSocketCloseStatus.NormalClosure, code);
    }

    [Fact]
    public async Task IdleTimeout_Heartbeats_KeepTheSocketOpen()
    {
        var idleTimeout = TimeSpan.FromMilliseconds(400);
        await using var host = await PushExTestHost.StartAsync(options => options.IdleTimeout = idleTimeout);
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());

        // Heartbeat every quarter of the timeout for three timeouts; every one must be answered, none closed.
        var started = DateTime.UtcNow;
        for (var i = 0; DateTime.UtcNow - started < idleTimeout * 3; i++)
        {
            await client.SendTextAsync($$"""[null,"{{i}}","phoenix","heartbeat",{}]""");
            Assert.Equal($"""[null,"{i}","phoenix","phx_reply",{OkReply}]""", await client.ReceiveTextAsync());
            await client.AssertNothingReceivedAsync(idleTimeout / 4);
        }
    }

    [Fact]
    public async Task IdleTimeout_ClientKeepAlivePings_KeepTheSocketOpen()
    {
        var idleTimeout = TimeSpan.FromMilliseconds(400);
        await using var host = await PushExTestHost.StartAsync(options => options.IdleTimeout = idleTimeout);
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri(), options => options.KeepAliveInterval = idleTimeout / 4);

        // Only WebSocket control frames flow for three timeouts; the server must not close.
        await client.AssertNothingReceivedAsync(idleTimeout * 3);
        await AssertHeartbeatAnsweredAsync(client);
    }

    [Fact]
    public async Task OversizedFrame_ClosesWith1009_OtherSocketsUnaffected()
    {
        await using var host = await PushExTestHost.StartAsync(options => options.MaxFrameBytes = 1024);
        await using var bystander = await TestWebSocket.ConnectAsync(host.SocketUri());
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());

        await client.SendTextAsync($$"""["1","1","t","phx_join",{"pad":"{{new string('x', 2000)}}"}]""");

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.ReceiveCloseAsync());
        await AssertHeartbeatAnsweredAsync(bystander);
    }

    [Fact]
    public async Task SlowConsumer_IsDisconnected_WhileAFastOneReceivesEverythingInOrder()
    {
        const int Pushes = 3000;
        await using var host = await PushExTestHost.StartAsync(options =>
        {
            options.MaxFrameBytes = 16 * 1024;
            options.MaxPushBytes = 16 * 1024;
            options.SocketSendQueueLimit = 64 * 1024;
        });
        var statistics = host.GetRequiredService<ConnectionStatistics>();
        await using var fast = await TestWebSocket.ConnectAsync(host.SocketUri());
        await fast.SendTextAsync("""["3","3","t","phx_join",{}]""");
        await fast.ReceiveTextAsync();

        // A client that joins and then never reads again.
        using var slow = new ClientWebSocket();
        await slow.ConnectAsync(host.SocketUri(), TestContext.Current.CancellationToken);
        await slow.SendAsync("""["3","3","t","phx_join",{}]"""u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => statistics.ChannelCount == 2, "both clients joined");

        var publisher = host.GetRequiredService<PushEx.Pipeline.IPushPublisher>();
        var data = System.Text.Encoding.UTF8.GetBytes($"\"{new string('x', 8 * 1024)}\"");
        // Paced by the fast client, which reads every push; the slow one falls ever further behind.
        for (var i = 0; i < Pushes; i++)
        {
            Assert.Equal(PushEx.Pipeline.PublishResult.Accepted, publisher.TryPublish("t", i.ToString(System.Globalization.CultureInfo.InvariantCulture), data));
            Assert.EndsWith($$"""
                ","event":"{{i}}","offset":{{i + 1}},"epoch":"…"}]
                """, Epochs.Mask(await fast.ReceiveTextAsync()), StringComparison.Ordinal);
        }

        await Eventually.TrueAsync(() => statistics.SocketCount == 1, "the slow client was disconnected", TimeSpan.FromSeconds(20));
        Assert.Equal(1, statistics.ChannelCount);
    }

    [Fact]
    public async Task MalformedFrame_ClosesWith1002WithoutReply()
    {
        await using var host = await PushExTestHost.StartAsync();
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());

        await client.SendTextAsync("""["1","1","t","phx_join"]""");

        Assert.Equal(WebSocketCloseStatus.ProtocolError, await client.ReceiveCloseAsync());
    }

    [Fact]
    public async Task InvalidUtf8Text_ClosesWith1007_OtherSocketsUnaffected()
    {
        await using var host = await PushExTestHost.StartAsync();
        await using var bystander = await TestWebSocket.ConnectAsync(host.SocketUri());
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());

        await client.SendAsync([(byte)'[', 0xC3, 0x28, (byte)']'], WebSocketMessageType.Text);

        // .NET's WebSocket validates UTF-8 itself: it writes the 1007 close and then aborts the connection, so on a
        // loaded machine the close frame can lose the race and the client sees the connection end without one.
        try
        {
            Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await client.ReceiveCloseAsync());
        }
        catch (ChannelClosedException)
        {
            // The connection ended without a close frame (see above): the socket is gone all the same.
        }

        await AssertHeartbeatAnsweredAsync(bystander);
    }

    [Fact]
    public async Task BinaryPush_OnJoinedTopic_IsAnsweredUnsupported()
    {
        await using var host = await PushExTestHost.StartAsync();
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());
        await client.SendTextAsync("""["1","1","t","phx_join",{}]""");
        await client.ReceiveTextAsync();

        await client.SendAsync([0x00, 0x01, 0x01, 0x01, 0x01, (byte)'1', (byte)'2', (byte)'t', (byte)'e', 0x01], WebSocketMessageType.Binary);

        Assert.Equal("""["1","2","t","phx_reply",{"status":"error","response":{"reason":"unsupported event"}}]""", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task ClientClose_IsAnsweredAndTheSocketUnregistered()
    {
        await using var host = await PushExTestHost.StartAsync();
        var statistics = host.GetRequiredService<ConnectionStatistics>();
        var client = await TestWebSocket.ConnectAsync(host.SocketUri("user=42&vsn=2.0.0"));
        await client.SendTextAsync("""["1","1","room:1","phx_join",{}]""");
        await client.ReceiveTextAsync();

        Assert.Equal(1, statistics.SocketCount);
        Assert.Equal(1, statistics.ChannelCount);
        Assert.Equal(new ConnectedSocket("42", "user_socket:42", statistics.GetSockets()[0].OnlineSince), statistics.GetSockets()[0]);
        Assert.Equal("room:1", Assert.Single(statistics.GetChannels()).Topic);

        using var timeout = new CancellationTokenSource(TestWebSocket.DefaultTimeout);
        await client.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        Assert.Equal(WebSocketState.Closed, client.Socket.State);
        await client.DisposeAsync();

        await Eventually.TrueAsync(() => statistics.SocketCount == 0 && statistics.ChannelCount == 0, "the closed socket is unregistered");
    }

    [Theory]
    [InlineData("https://app.example.com", 101)]
    [InlineData("https://eu.example.org", 101)]
    [InlineData("https://example.org", 101)]
    [InlineData("https://evil.example.com", 403)]
    [InlineData("http://app.example.com", 403)]
    [InlineData(null, 101)]
    public async Task Origin_CheckedAgainstAllowedOrigins(string? origin, int expectedStatus)
    {
        await using var host = await PushExTestHost.StartAsync(options =>
        {
            options.AllowedOrigins.Add("https://app.example.com");
            options.AllowedOrigins.Add("https://*.example.org");
        });

        var status = await TestWebSocket.GetUpgradeStatusAsync(host.SocketUri(), options =>
        {
            if (origin is not null)
            {
                options.SetRequestHeader("Origin", origin);
            }
        });

        Assert.Equal(expectedStatus, status);
    }

    [Fact]
    public async Task MapPushEx_WithoutSocketHandler_FailsNamingTheRegistration()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddPushEx();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapPushEx());
        Assert.Contains("AddSocketHandler", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapPushEx_WithoutAddPushEx_FailsNamingTheCall()
    {
        await using var app = WebApplication.CreateSlimBuilder().Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapPushEx());
        Assert.Contains("AddPushEx()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapPushEx_InvalidOptions_FailsAtStartupNamingTheSetting()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddPushEx(options => options.IdleTimeout = TimeSpan.Zero).AddSocketHandler<TestSocketHandler>();
        await using var app = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => app.MapPushEx());
        Assert.Contains("PushEx:IdleTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddPushEx_CalledTwice_RegistersEverythingOnce()
    {
        await using var host = await PushExTestHost.StartAsync(configureServices: services => services.AddPushEx());

        Assert.Equal(200, await host.ReadinessAsync());
        Assert.Single(host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<PushEx.AspNetCore.Shutdown.ShutdownDrain>());
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());
        await AssertHeartbeatAnsweredAsync(client);
    }

    [Fact]
    public async Task AddPushEx_BindsTheConfigurationSection()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration["PushEx:IdleTimeout"] = "00:00:05";
        builder.Configuration["PushEx:MaxChannelsPerSocket"] = "7";
        builder.Services.AddPushEx().AddSocketHandler<TestSocketHandler>();
        await using var app = builder.Build();

        var options = app.Services.GetRequiredService<IOptions<PushExOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(5), options.IdleTimeout);
        Assert.Equal(7, options.MaxChannelsPerSocket);
    }

    private static async Task AssertHeartbeatAnsweredAsync(TestWebSocket client)
    {
        await client.SendTextAsync("""[null,"99","phoenix","heartbeat",{}]""");
        Assert.Equal($"""[null,"99","phoenix","phx_reply",{OkReply}]""", await client.ReceiveTextAsync());
    }
}
