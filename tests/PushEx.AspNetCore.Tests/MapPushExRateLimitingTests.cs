using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using PushEx.AspNetCore.Tests.Infrastructure;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;

namespace PushEx.AspNetCore.Tests;

/// <summary>
/// Issue 15: ASP.NET Core's rate limiter, applied as README's guide shows, through the builder <c>MapPushEx()</c>
/// returns: it reaches both the push API and the socket's handshake, and what it refuses is answered 429.
/// </summary>
public sealed class MapPushExRateLimitingTests
{
    private const string Heartbeat = """[null,"1","phoenix","heartbeat",{}]""";

    [Fact]
    public async Task RequireRateLimiting_OnMapPushEx_OverTheLimitApiAndHandshakeAre429_AdmittedSocketWorks()
    {
        await using var host = await PushExTestHost.StartAsync(
            configureServices: services => services.AddRateLimiter(limiter =>
            {
                limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;

                // One request per endpoint per hour: the test's client is one address, so the partition is the path.
                limiter.AddPolicy("pushex", context => RateLimitPartition.GetFixedWindowLimiter(
                    context.Request.Path.Value ?? string.Empty,
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = 1, Window = TimeSpan.FromHours(1), QueueLimit = 0 }));
            }),
            configureApp: app => app.UseRateLimiter(),
            configureEndpoints: pushEx => pushEx.RequireRateLimiting("pushex"));
        using var http = host.CreateHttpClient();

        using var firstPush = await PostAsync(http, """{"channel":"t","data":1,"event":"e"}""");
        using var secondPush = await PostAsync(http, """{"channel":"t","data":2,"event":"e"}""");
        await using var admitted = await TestWebSocket.ConnectAsync(host.SocketUri());
        var refusedUpgrade = await TestWebSocket.GetUpgradeStatusAsync(host.SocketUri());

        Assert.Equal(HttpStatusCode.OK, firstPush.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, secondPush.StatusCode);
        Assert.Equal(429, refusedUpgrade);
        // The limiter admitted the socket once; it holds no lease on the connection's frames.
        await admitted.SendTextAsync(Heartbeat);
        Assert.Equal("""[null,"1","phoenix","phx_reply",{"status":"ok","response":{}}]""", await admitted.ReceiveTextAsync());
    }
}
