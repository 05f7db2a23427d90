using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.JsClients;

/// <summary>
/// The server's idle timeout against the unmodified npm clients: heartbeats keep a socket open, silence closes it
/// (1001) and the client comes back by itself. The sample runs with a 1 s <c>PushEx:IdleTimeout</c>.
/// </summary>
public sealed class NpmClientKeepAliveTests
{
    private const int IdleTimeoutMs = 1000;

    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task Heartbeats_KeepTheSocketOpenPastTheIdleTimeout(string client)
    {
        await using var host = await StartAsync();

        var observed = await NpmClient.RunAsync(client, "heartbeat", host, $"--idle-timeout-ms={IdleTimeoutMs}");

        Assert.Equal(0, observed.GetProperty("closeCodes").GetArrayLength());
        Assert.Equal(1, observed.GetProperty("opens").GetInt32());
        // 200 ms heartbeats over three idle timeouts.
        Assert.True(observed.GetProperty("heartbeatAcks").GetInt32() >= 10, $"Too few heartbeats answered: {observed}");
        Assert.Equal(["true"], NpmClient.ReceivedData(observed.GetProperty("received")));
    }

    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task NoHeartbeats_ServerClosesWith1001_ClientReconnectsAndReceives(string client)
    {
        await using var host = await StartAsync();

        var observed = await NpmClient.RunAsync(client, "idle", host);

        Assert.Equal(1001, observed.GetProperty("closeCode").GetInt32());
        var closedAfter = observed.GetProperty("closedAfterMs").GetInt32();
        // A quarter-timeout sweep closes an idle socket after one to one and a quarter timeouts; the rest is slack.
        Assert.InRange(closedAfter, IdleTimeoutMs * 0.9, IdleTimeoutMs * 3);
        Assert.Equal(0, observed.GetProperty("heartbeatAcks").GetInt32());
        Assert.Equal("ok", observed.GetProperty("rejoin").GetProperty("status").GetString());
        Assert.Equal(["\"welcome back\""], NpmClient.ReceivedData(observed.GetProperty("received")));
        TestContext.Current.TestOutputHelper?.WriteLine($"{client}: closed by the server {closedAfter} ms after joining");
    }

    private static Task<SampleHost> StartAsync() =>
        SampleHost.StartAsync([$"--PushEx:IdleTimeout={TimeSpan.FromMilliseconds(IdleTimeoutMs):c}"]);
}
