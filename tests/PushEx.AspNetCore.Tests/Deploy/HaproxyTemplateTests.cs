using System.Net;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Topics;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;

namespace PushEx.AspNetCore.Tests.Deploy;

/// <summary>
/// <c>deploy/haproxy/haproxy.cfg</c> as shipped, run by the real HAProxy in front of two nodes on one Redis: sockets
/// and pushes pass through it, and a node that begins draining gets no new socket.
/// </summary>
public sealed class HaproxyTemplateTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async ValueTask InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public void Render_ReplacesOnlyTheNodesBlock()
    {
        const string template = "backend pushex_nodes\n    balance leastconn\n    # BEGIN nodes (yours here)\n    server node1 10.0.0.11:8080\n    # END nodes\n    # after\n";
        var (portA, portB) = (FreePort.Next(), FreePort.Next());

        var rendered = HaproxyServer.Render(template, [("a", portA), ("b", portB)]);

        Assert.Equal($"backend pushex_nodes\n    balance leastconn\n    # BEGIN nodes (yours here)\n    server a 127.0.0.1:{portA}\n    server b 127.0.0.1:{portB}\n    # END nodes\n    # after\n", rendered);
    }

    [Fact]
    public async Task SocketsAndPushes_PassThroughTheLoadBalancer_ToEveryNode()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync(_redis.Configuration);
        await using var haproxy = await HaproxyServer.StartAsync([("a", a.BaseAddress.Port), ("b", b.BaseAddress.Port)]);
        await haproxy.WaitUntilUpAsync("a", "b");

        // leastconn: each new socket goes to the node with fewer, so four sockets end two and two.
        var clients = new List<TestWebSocket>();
        for (var i = 0; i < 4; i++)
        {
            clients.Add(await JoinThroughAsync(haproxy, "t"));
        }

        Assert.Equal(2, a.GetRequiredService<ConnectionStatistics>().SocketCount);
        Assert.Equal(2, b.GetRequiredService<ConnectionStatistics>().SocketCount);
        using var http = new HttpClient { BaseAddress = haproxy.Url };
        using (var response = await PostAsync(http, """{"channel":"t","data":1,"event":"e"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        foreach (var client in clients)
        {
            Assert.Contains("\"msg\",{\"data\":1,\"event\":\"e\"", await client.ReceiveTextAsync(), StringComparison.Ordinal);
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task ANodeThatBeginsDraining_IsTakenOut_NewSocketsGoToTheOther_AndPushesStillArrive()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration, configureOptions: options =>
        {
            options.DisconnectSocketsOnShutdown = true;
            options.ShutdownDisconnectWindow = TimeSpan.FromSeconds(2);
        });
        await using var b = await RedisHosts.StartAsync(_redis.Configuration);
        await using var haproxy = await HaproxyServer.StartAsync([("a", a.BaseAddress.Port), ("b", b.BaseAddress.Port)]);
        await haproxy.WaitUntilUpAsync("a", "b");
        await using var onA = await PubSub.PubSubAdapterSpecification.JoinAsync(a, "t");

        var stopping = a.StopAsync();
        await Eventually.TrueAsync(() => haproxy.NodeStatsAsync().GetAwaiter().GetResult().Single(node => node.Name == "a").Status.StartsWith("DOWN", StringComparison.Ordinal), "HAProxy took the draining node out", TimeSpan.FromSeconds(10));

        var socketsOnB = b.GetRequiredService<ConnectionStatistics>().SocketCount;
        await using var late = await JoinThroughAsync(haproxy, "t");
        Assert.Equal(socketsOnB + 1, b.GetRequiredService<ConnectionStatistics>().SocketCount);
        using var http = new HttpClient { BaseAddress = haproxy.Url };
        using (var response = await PostAsync(http, """{"channel":"t","data":2,"event":"e"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Contains("\"msg\",{\"data\":2,\"event\":\"e\"", await late.ReceiveTextAsync(), StringComparison.Ordinal);
        await stopping.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(0, (await haproxy.NodeStatsAsync()).Single(node => node.Name == "a").Current);
    }

    private static async Task<TestWebSocket> JoinThroughAsync(HaproxyServer haproxy, string topic)
    {
        var client = await TestWebSocket.ConnectAsync(new Uri($"ws://127.0.0.1:{haproxy.Port}/push_socket/websocket?vsn=2.0.0"));
        await client.SendTextAsync($$"""["3","3","{{topic}}","phx_join",{}]""");
        Assert.Equal($$$"""["3","3","{{{topic}}}","phx_reply",{"status":"ok","response":{}}]""", await client.ReceiveTextAsync());
        return client;
    }
}
