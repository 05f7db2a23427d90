using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.JsClients;

/// <summary>Connecting with the unmodified npm clients: params from <c>getParams</c>, <c>onConnect</c>, a refused connect.</summary>
public sealed class NpmClientConnectTests
{
    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task Connect_TokenFromGetParams_OpensJoinsAndReceives(string client)
    {
        await using var host = await SampleHost.StartAsync();
        await using var run = NpmClient.Start(client, "connect", host);

        await run.WaitForProgressAsync("joined", NpmClient.Timeout);
        // The server's view: one socket of user 1 (named by the token the client fetched), joined to user:1.
        var socket = Assert.Single(host.Statistics.GetSockets());
        Assert.Equal(("1", "user_socket:1"), (socket.Identifier, socket.SocketId));
        Assert.Equal("user:1", Assert.Single(host.Statistics.GetChannels()).Topic);
        await host.PushAsync("user:1", "hello", new { from = "the test" });
        var observed = await run.ResultAsync(NpmClient.Timeout);

        Assert.Equal($"ws://{host.BaseAddress.Authority}/push_socket/websocket?token=<token>&vsn=2.0.0", observed.GetProperty("endpoint").GetString());
        Assert.Equal("ok", observed.GetProperty("join").GetProperty("status").GetString());
        var push = Assert.Single(observed.GetProperty("received").EnumerateArray());
        Assert.Equal("""{"data":{"from":"the test"},"event":"hello","argCount":2}""", push.GetRawText());
        var log = observed.GetProperty("log");
        Assert.Equal(1, log.GetProperty("opens").GetInt32());
        if (client == "pushex")
        {
            Assert.Equal("""{"onConnect":1,"onConnectionError":0}""", log.GetProperty("pushexCallbacks").GetRawText());
        }

        Assert.Equal("""[{"code":1000,"wasClean":true}]""", log.GetProperty("transportCloses").GetRawText());
        await Eventually.TrueAsync(() => host.Statistics.SocketCount == 0, "the server saw the client's socket close");
    }

    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task Connect_ForgedToken_ConnectionErrorsWhileTheServerKeepsServing(string client)
    {
        await using var host = await SampleHost.StartAsync();

        var observed = await NpmClient.RunAsync(client, "refused", host);

        // Every attempt was refused before any WebSocket opened: the client saw the 403 and a 1006 close, and retried.
        var refused = observed.GetProperty("refused");
        Assert.Equal(0, refused.GetProperty("opens").GetInt32());
        Assert.True(refused.GetProperty("errors").GetInt32() >= 10, $"Expected at least 10 refused attempts: {refused}");
        Assert.Contains("403", refused.GetProperty("errorSample").GetString(), StringComparison.Ordinal);
        Assert.Equal("[1006]", refused.GetProperty("closeCodes").GetRawText());
        if (client == "pushex")
        {
            Assert.Equal(refused.GetProperty("errors").GetInt32(), refused.GetProperty("pushexCallbacks").GetProperty("onConnectionError").GetInt32());
            Assert.Equal(0, refused.GetProperty("pushexCallbacks").GetProperty("onConnect").GetInt32());
        }

        // Meanwhile a client with a valid token connected, joined and got its push.
        Assert.Equal("ok", observed.GetProperty("healthyJoin").GetProperty("status").GetString());
        Assert.Equal(["""{"ok":true}"""], NpmClient.ReceivedData(observed.GetProperty("healthyReceived")));
        await Eventually.TrueAsync(() => host.Statistics.SocketCount == 0, "no socket was left open");
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal("OK", await http.GetStringAsync(new Uri("/status", UriKind.Relative), TestContext.Current.CancellationToken));
    }
}
