using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Tests.Infrastructure;
using PushEx.Topics;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;

namespace PushEx.AspNetCore.Tests.Sockets;

/// <summary>
/// Issue 15: the limits of one client, over a real connection: joins per second, frames per second, sockets per socket
/// id. The sockets' rates run on a fake clock, so what crosses a limit is exact on a loaded machine too.
/// </summary>
public sealed partial class PushSocketEndpointTests
{
    [Fact]
    public async Task Join_StormOverMaxJoinsPerSecond_RefusedWithReason_SocketStaysAndJoinsOnceRefilled()
    {
        var time = new FakeTimeProvider();
        await using var host = await PushExTestHost.StartAsync(
            options =>
            {
                options.MaxJoinsPerSecond = 1;
                options.JoinBurst = 2;
            },
            services => services.AddSingleton<TimeProvider>(time));
        using var exceeded = new PushMeterReader(host.Services, "pushex.limits.exceeded");
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());
        await using var other = await TestWebSocket.ConnectAsync(host.SocketUri());

        await client.SendTextAsync("""["1","1","a","phx_join",{}]""");
        await client.SendTextAsync("""["2","2","b","phx_join",{}]""");
        await client.SendTextAsync("""["3","3","c","phx_join",{}]""");
        await other.SendTextAsync("""["1","1","c","phx_join",{}]""");

        Assert.Equal($"""["1","1","a","phx_reply",{OkReply}]""", await client.ReceiveTextAsync());
        Assert.Equal($"""["2","2","b","phx_reply",{OkReply}]""", await client.ReceiveTextAsync());
        Assert.Equal("""["3","3","c","phx_reply",{"status":"error","response":{"reason":"too many joins"}}]""", await client.ReceiveTextAsync());
        Assert.Equal($"""["1","1","c","phx_reply",{OkReply}]""", await other.ReceiveTextAsync());
        Assert.Equal(1, exceeded.Total);

        // A second later the socket that stormed joins again, and gets the topic's pushes.
        time.Advance(TimeSpan.FromSeconds(1));
        await client.SendTextAsync("""["4","4","c","phx_join",{}]""");
        Assert.Equal($"""["4","4","c","phx_reply",{OkReply}]""", await client.ReceiveTextAsync());
        using var http = host.CreateHttpClient();
        using var pushed = await PostAsync(http, """{"channel":"c","data":1,"event":"e"}""");
        Assert.Equal("""["4",null,"c","msg",{"data":1,"event":"e","offset":1,"epoch":"…"}]""", Epochs.Mask(await client.ReceiveTextAsync()));
        Assert.Equal("""["1",null,"c","msg",{"data":1,"event":"e","offset":1,"epoch":"…"}]""", Epochs.Mask(await other.ReceiveTextAsync()));
        LetTheShutdownDrainFindTheApiQuiet(time);
    }

    [Fact]
    public async Task Frames_StormOverMaxFramesPerSecond_ClosesWith1008_OtherSocketUnaffected()
    {
        var time = new FakeTimeProvider();
        var logs = new RecordingLoggerProvider();
        await using var host = await PushExTestHost.StartAsync(
            options =>
            {
                options.MaxFramesPerSecond = 1;
                options.FrameBurst = 5;
                options.MaxChannelsPerSocket = 4;
            },
            services =>
            {
                services.AddSingleton<TimeProvider>(time);
                LogRecording.Into(logs)(services);
            });
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());
        await using var other = await TestWebSocket.ConnectAsync(host.SocketUri());
        await other.SendTextAsync("""["1","1","t","phx_join",{}]""");
        Assert.Equal($"""["1","1","t","phx_reply",{OkReply}]""", await other.ReceiveTextAsync());

        for (var i = 0; i < 6; i++)
        {
            await client.SendTextAsync(Heartbeat);
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HeartbeatReply, await client.ReceiveTextAsync());
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.ReceiveCloseAsync());
        Assert.Equal("too many frames", client.Socket.CloseStatusDescription);

        await other.SendTextAsync(Heartbeat);
        Assert.Equal(HeartbeatReply, await other.ReceiveTextAsync());
        using var http = host.CreateHttpClient();
        using var pushed = await PostAsync(http, """{"channel":"t","data":1,"event":"e"}""");
        Assert.Equal("""["1",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"…"}]""", Epochs.Mask(await other.ReceiveTextAsync()));
        Assert.Empty(logs.WarningsOrAbove);
        LetTheShutdownDrainFindTheApiQuiet(time);
    }

    [Fact]
    public async Task Upgrade_OverMaxSocketsPerSocketId_Is429_OpenSocketsAndOtherIdsUnaffected()
    {
        await using var host = await PushExTestHost.StartAsync(options => options.MaxSocketsPerSocketId = 2);
        using var exceeded = new PushMeterReader(host.Services, "pushex.limits.exceeded");
        var user42 = host.SocketUri("user=42&vsn=2.0.0");
        await using var first = await TestWebSocket.ConnectAsync(user42);
        await using var second = await TestWebSocket.ConnectAsync(user42);

        Assert.Equal(429, await TestWebSocket.GetUpgradeStatusAsync(user42));
        Assert.Equal(1, exceeded.Total);
        await using var otherUser = await TestWebSocket.ConnectAsync(host.SocketUri("user=43&vsn=2.0.0"));
        await using var anonymous = await TestWebSocket.ConnectAsync(host.SocketUri());

        // The sockets already open were not touched.
        await first.SendTextAsync(Heartbeat);
        Assert.Equal(HeartbeatReply, await first.ReceiveTextAsync());
        await otherUser.SendTextAsync(Heartbeat);
        Assert.Equal(HeartbeatReply, await otherUser.ReceiveTextAsync());

        // Once one of the id's sockets has gone, a new one gets its place.
        await first.DisposeAsync();
        var sockets = host.GetRequiredService<SocketRegistry>();
        await Eventually.TrueAsync(() => sockets.WithSocketId("user_socket:42").Length == 1, "the closed socket left the registry");
        await using var third = await TestWebSocket.ConnectAsync(user42);
        await third.SendTextAsync(Heartbeat);
        Assert.Equal(HeartbeatReply, await third.ReceiveTextAsync());
    }

    // The host's shutdown waits, on the node's clock, until the push API has been quiet for a while: on a fake clock
    // that time must be made to pass before the host is disposed.
    private static void LetTheShutdownDrainFindTheApiQuiet(FakeTimeProvider time) => time.Advance(TimeSpan.FromMinutes(1));
}
