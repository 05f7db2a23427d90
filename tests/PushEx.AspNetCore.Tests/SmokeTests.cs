using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task Join_V2_RepliesOk()
    {
        await using var host = await PushExTestHost.StartAsync();
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());
        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");
        Assert.Equal("""["3","3","user-1","phx_reply",{"status":"ok","response":{}}]""", await client.ReceiveTextAsync());
    }
}
