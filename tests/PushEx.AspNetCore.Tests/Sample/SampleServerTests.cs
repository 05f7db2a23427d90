using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Pipeline;
using PushEx.Sample;
using PushEx.Sockets;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;

namespace PushEx.AspNetCore.Tests.Sample;

/// <summary>The sample server's contract (issue: pushes end to end, item 7), over real HTTP and WebSockets.</summary>
public sealed class SampleServerTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private Uri _baseAddress = null!;

    public async ValueTask InitializeAsync()
    {
        _app = SampleServer.Create(
        [
            "--urls", "http://127.0.0.1:0",
            "--contentRoot", Path.Combine(RepositoryLayout.Root, "samples", "PushEx.Sample"),
            "--PushEx:ProducerMaxBuffer=1234",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await _app.StartAsync(TestContext.Current.CancellationToken);
        _baseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        _http = new HttpClient { BaseAddress = _baseAddress };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync(TestContext.Current.CancellationToken);
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Token_SignsInAUser_WhoJoinsOwnPublicAndRoomTopicsOnly()
    {
        await using var client = await ConnectAsync(user: "1");

        Assert.Equal("ok", await JoinAsync(client, "user:1"));
        Assert.Equal("ok", await JoinAsync(client, "public"));
        Assert.Equal("ok", await JoinAsync(client, "room:lobby"));
        Assert.Equal("error unauthorized", await JoinAsync(client, "user:2"));
        Assert.Equal("error unauthorized", await JoinAsync(client, "elsewhere"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("token=forged.token&")]
    public async Task Socket_WithoutAValidToken_Is403(string token)
    {
        var status = await TestWebSocket.GetUpgradeStatusAsync(SocketUri($"{token}vsn=2.0.0"));

        Assert.Equal(403, status);
    }

    [Fact]
    public async Task Api_RequiresTheConfiguredKey_AndDeliversToSubscribers()
    {
        await using var client = await ConnectAsync(user: "7");
        Assert.Equal("ok", await JoinAsync(client, "user:7"));

        using var refused = await PostAsync(_http, """{"channel":"user:7","data":"d","event":"e"}""", key: "wrong");
        using var accepted = await PostAsync(_http, """{"channel":"user:7","data":{"n":1},"event":"hello"}""", key: "dev-api-key");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var frame = await client.ReceiveTextAsync();
        Assert.EndsWith(""","user:7","msg",{"data":{"n":1},"event":"hello","offset":1,"epoch":"…"}]""", Epochs.Mask(frame), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disconnect_BySocketId_ClosesThatUsersSocketsWith1001()
    {
        await using var user = await ConnectAsync(user: "42");
        await using var other = await ConnectAsync(user: "43");

        // The server registers a socket just after the upgrade the client has seen; a heartbeat's reply proves it has.
        await user.SendTextAsync("""[null,"1","phoenix","heartbeat",{}]""");
        Assert.Equal("""[null,"1","phoenix","phx_reply",{"status":"ok","response":{}}]""", await user.ReceiveTextAsync());
        var closed = await _app.Services.GetRequiredService<IPushPublisher>().DisconnectSocketsAsync("user_socket:42", TestContext.Current.CancellationToken);

        Assert.Equal(1, closed);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await user.ReceiveCloseAsync());
        Assert.Equal("ok", await JoinAsync(other, "public"));
    }

    [Fact]
    public async Task Connect_ValidToken_SocketLivesUntilTheTokensExpiry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Sample:TokenLifetime"] = "00:20:00" }).Build();
        var tokens = new DemoTokens(configuration, time);
        var handler = new SampleSocketHandler(tokens);
        var token = tokens.Issue("5");
        using var parameters = JsonDocument.Parse(JsonSerializer.Serialize(new { token }));

        var result = await handler.ConnectAsync(new SocketConnectContext(parameters.RootElement, null, new Dictionary<string, StringValues>(), null), TestContext.Current.CancellationToken);

        Assert.True(result.IsAccepted);
        Assert.Equal(time.GetUtcNow().AddMinutes(20), result.ExpiresAt);
        time.Advance(TimeSpan.FromMinutes(20));
        Assert.Null(tokens.Validate(token));
    }

    [Fact]
    public async Task Socket_TokenExpires_ClosedWith4001TokenExpired()
    {
        await using var host = await SampleHost.StartAsync(["--Sample:TokenLifetime=00:00:02"]);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        await using var client = await ConnectAsync(http, host.BaseAddress, user: "8");
        Assert.Equal("ok", await JoinAsync(client, "user:8"));

        Assert.Equal((WebSocketCloseStatus)4001, await client.ReceiveCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("token expired", client.Socket.CloseStatusDescription);
    }

    [Fact]
    public async Task StatusPageAndOptions_AreServedAndBound()
    {
        Assert.Equal("OK", await _http.GetStringAsync(new Uri("/status", UriKind.Relative), TestContext.Current.CancellationToken));
        Assert.Contains("PushEx", await _http.GetStringAsync(new Uri("/", UriKind.Relative), TestContext.Current.CancellationToken), StringComparison.Ordinal);

        var options = _app.Services.GetRequiredService<IOptions<PushExOptions>>().Value;
        Assert.Equal(1234, options.ProducerMaxBuffer);
        Assert.Contains("public", options.UntrackedTopics);
    }

    private Uri SocketUri(string query) => new($"ws://{_baseAddress.Authority}/push_socket/websocket?{query}");

    private Task<TestWebSocket> ConnectAsync(string user) => ConnectAsync(_http, _baseAddress, user);

    private static async Task<TestWebSocket> ConnectAsync(HttpClient http, Uri baseAddress, string user)
    {
        using var response = await http.GetAsync(new Uri($"/token?user={user}", UriKind.Relative), TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var token = Uri.EscapeDataString(body.RootElement.GetProperty("token").GetString()!);
        return await TestWebSocket.ConnectAsync(new Uri($"ws://{baseAddress.Authority}/push_socket/websocket?token={token}&vsn=2.0.0"));
    }

    // Joins and answers "ok", or "error <reason>".
    private static async Task<string> JoinAsync(TestWebSocket client, string topic)
    {
        await client.SendTextAsync($$"""["1","1","{{topic}}","phx_join",{}]""");
        using var reply = JsonDocument.Parse(await client.ReceiveTextAsync());
        var payload = reply.RootElement[4];
        var status = payload.GetProperty("status").GetString();
        return status == "ok" ? status : $"{status} {payload.GetProperty("response").GetProperty("reason").GetString()}";
    }
}
