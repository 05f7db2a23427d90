using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Sockets;

/// <summary>Sockets whose credentials expire (<c>ConnectResult.Ok(expiresAt)</c>), on the host's clock.</summary>
public sealed partial class PushSocketEndpointTests
{
    private const string Heartbeat = """[null,"1","phoenix","heartbeat",{}]""";
    private const string HeartbeatReply = $"""[null,"1","phoenix","phx_reply",{OkReply}]""";

    [Fact]
    public async Task Expiry_PassesMidConnection_ClosedWith4001TokenExpired_OtherSocketsUnaffected()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        await using var host = await StartExpiringHostAsync(time, new ExpiringTokenSocketHandler());
        var start = time.GetUtcNow();
        await using var expiring = await TestWebSocket.ConnectAsync(host.SocketUri($"token=a&exp={UnixMs(start.AddMinutes(1))}&vsn=2.0.0"));
        await using var later = await TestWebSocket.ConnectAsync(host.SocketUri($"token=b&exp={UnixMs(start.AddMinutes(10))}&vsn=2.0.0"));
        await using var unbounded = await TestWebSocket.ConnectAsync(host.SocketUri("token=c&vsn=2.0.0"));
        // A heartbeat's reply proves each socket is registered, so the sweep sees it.
        foreach (var client in new[] { expiring, later, unbounded })
        {
            await client.SendTextAsync(Heartbeat);
            Assert.Equal(HeartbeatReply, await client.ReceiveTextAsync());
        }

        time.Advance(TimeSpan.FromSeconds(59));
        await expiring.SendTextAsync(Heartbeat);
        Assert.Equal(HeartbeatReply, await expiring.ReceiveTextAsync());
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal((WebSocketCloseStatus)4001, await expiring.ReceiveCloseAsync());
        Assert.Equal("token expired", expiring.Socket.CloseStatusDescription);
        foreach (var client in new[] { later, unbounded })
        {
            await client.SendTextAsync(Heartbeat);
            Assert.Equal(HeartbeatReply, await client.ReceiveTextAsync());
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    public async Task Expiry_AlreadyPastAtConnect_Is403(int secondsFromNow)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        var handler = new ExpiringTokenSocketHandler();
        await using var host = await StartExpiringHostAsync(time, handler);
        var expiresAt = time.GetUtcNow().AddSeconds(secondsFromNow);

        Assert.Equal(403, await TestWebSocket.GetUpgradeStatusAsync(host.SocketUri($"token=old&exp={UnixMs(expiresAt)}&vsn=2.0.0")));
        Assert.Equal(101, await TestWebSocket.GetUpgradeStatusAsync(host.SocketUri($"token=new&exp={UnixMs(time.GetUtcNow().AddSeconds(1))}&vsn=2.0.0")));
        Assert.Equal(["old", "new"], handler.Tokens);
    }

    private static Task<PushExTestHost> StartExpiringHostAsync(FakeTimeProvider time, ExpiringTokenSocketHandler handler) =>
        PushExTestHost.StartAsync(
            // Far from the expiries, so only the expiry closes a socket here.
            configureOptions: options => options.IdleTimeout = TimeSpan.FromHours(1),
            configureServices: services => services.AddSingleton<TimeProvider>(time),
            handler: handler);

    private static string UnixMs(DateTimeOffset time) => time.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
}
