using System.Net.WebSockets;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Pipeline;
using PushEx.PubSub;

namespace PushEx.AspNetCore.Tests.PubSub;

/// <summary>
/// What every <see cref="IPubSubAdapter"/> must do on one node, run against each implementation: delivery to local
/// subscribers exactly once, "no listeners" when nobody listens (also once the last subscriber left), order per
/// topic, and disconnects by socket id.
/// </summary>
public abstract class PubSubAdapterSpecification
{
    protected abstract Task<PushExTestHost> StartHostAsync();

    [Fact]
    public async Task Publish_SubscribedHere_DeliversExactlyOnce_AndReportsListeners()
    {
        await using var host = await StartHostAsync();
        await using var client = await JoinAsync(host, "t");
        var adapter = host.GetRequiredService<IPubSubAdapter>();

        var listened = await adapter.PublishAsync(CreatePush(host, "t", "1"), TestContext.Current.CancellationToken);

        Assert.True(listened);
        Assert.Equal("""["3",null,"t","msg",{"data":1,"event":"e"}]""", await client.ReceivePushAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task Publish_NoSubscriber_ReportsNoListeners()
    {
        await using var host = await StartHostAsync();
        var adapter = host.GetRequiredService<IPubSubAdapter>();

        Assert.True(adapter.IsAvailable);
        Assert.False(await adapter.PublishAsync(CreatePush(host, "nobody", "1"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Publish_AfterTheLastSubscriberLeft_ReportsNoListeners()
    {
        await using var host = await StartHostAsync();
        await using var client = await JoinAsync(host, "t");
        await client.SendTextAsync("""["3","4","t","phx_leave",{}]""");
        await client.ReceiveTextAsync();
        await client.ReceiveTextAsync();
        var adapter = host.GetRequiredService<IPubSubAdapter>();

        var listened = true;
        await Eventually.TrueAsync(
            () => !(listened = adapter.PublishAsync(CreatePush(host, "t", "1"), TestContext.Current.CancellationToken).AsTask().GetAwaiter().GetResult()),
            "a publish reports no listeners");

        Assert.False(listened);
        await AssertNextFrameIsHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task Publish_ManyToOneTopic_ArriveInOrder()
    {
        await using var host = await StartHostAsync();
        await using var client = await JoinAsync(host, "ordered");
        var publisher = host.GetRequiredService<IPushPublisher>();

        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(PublishResult.Accepted, publisher.TryPublish("ordered", "e", System.Text.Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        for (var i = 0; i < 300; i++)
        {
            Assert.Equal($$"""["3",null,"ordered","msg",{"data":{{i}},"event":"e"}]""", await client.ReceivePushAsync());
        }
    }

    [Fact]
    public async Task Disconnect_BySocketId_ClosesOnlyMatchingSockets()
    {
        await using var host = await StartHostAsync();
        await using var target = await TestWebSocket.ConnectAsync(host.SocketUri("user=5&vsn=2.0.0"));
        await using var bystander = await TestWebSocket.ConnectAsync(host.SocketUri("user=6&vsn=2.0.0"));

        var closed = await host.GetRequiredService<IPubSubAdapter>().DisconnectAsync("user_socket:5", TestContext.Current.CancellationToken);

        Assert.Equal(1, closed);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await target.ReceiveCloseAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(bystander);
    }

    internal static Push CreatePush(PushExTestHost host, string channel, string data) =>
        host.GetRequiredService<PushPipeline>().CreatePush(channel, "e", System.Text.Encoding.UTF8.GetBytes(data));

    internal static async Task<TestWebSocket> JoinAsync(PushExTestHost host, string topic, string query = "vsn=2.0.0")
    {
        var client = await TestWebSocket.ConnectAsync(host.SocketUri(query));
        await client.SendTextAsync($$"""["3","3","{{topic}}","phx_join",{}]""");
        Assert.Equal($$$"""["3","3","{{{topic}}}","phx_reply",{"status":"ok","response":{}}]""", await client.ReceiveTextAsync());
        return client;
    }

    // Proves that no other frame (say, a duplicate push) is queued before it.
    internal static async Task AssertNextFrameIsHeartbeatReplyAsync(TestWebSocket client)
    {
        await client.SendTextAsync("""[null,"hb","phoenix","heartbeat",{}]""");
        Assert.Equal("""[null,"hb","phoenix","phx_reply",{"status":"ok","response":{}}]""", await client.ReceiveTextAsync());
    }
}
