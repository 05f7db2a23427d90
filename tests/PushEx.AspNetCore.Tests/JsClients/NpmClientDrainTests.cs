using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.JsClients;

/// <summary>
/// A rolling restart as the unmodified npm clients live it: server A drains with
/// <c>DisconnectSocketsOnShutdown</c> (close 1012), server B comes up on the same address, and the client,
/// unchanged, reconnects to B by itself, rejoins and gets a push posted to B.
/// </summary>
public sealed class NpmClientDrainTests
{
    private static readonly string[] DrainSettings = ["--PushEx:DisconnectSocketsOnShutdown=true", "--PushEx:ShutdownDisconnectWindow=00:00:00"];

    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task Drain_ClientReconnectsToTheNextServer_AndReceivesItsPush(string client)
    {
        var serverA = await SampleHost.StartAsync(DrainSettings);
        SampleHost? serverB = null;
        try
        {
            await using var run = NpmClient.Start(client, "drain", serverA);
            await run.WaitForProgressAsync("joined", NpmClient.Timeout);
            await serverA.PushAsync("user:1", "from", "A");
            await run.WaitForProgressAsync("received-from-a", NpmClient.Timeout);

            await serverA.StopAsync();
            // The same address, so the client's unchanged URL now reaches B (tokens are signed with the same key).
            serverB = await SampleHost.StartAsync(DrainSettings, serverA.BaseAddress.Port);
            await run.WaitForProgressAsync("rejoined", NpmClient.Timeout);
            var socket = Assert.Single(serverB.Statistics.GetSockets());
            Assert.Equal("1", socket.Identifier);
            Assert.Equal("user:1", Assert.Single(serverB.Statistics.GetChannels()).Topic);
            await serverB.PushAsync("user:1", "from", "B");
            var observed = await run.ResultAsync(NpmClient.Timeout);

            Assert.Equal("ok", observed.GetProperty("joinA").GetProperty("status").GetString());
            Assert.Equal(1012, observed.GetProperty("closeCode").GetInt32());
            Assert.Equal("ok", observed.GetProperty("joinB").GetProperty("status").GetString());
            Assert.Equal(["\"A\"", "\"B\""], NpmClient.ReceivedData(observed.GetProperty("received")));
            Assert.Equal(2, observed.GetProperty("opens").GetInt32());
            TestContext.Current.TestOutputHelper?.WriteLine($"{client}: {observed.GetProperty("failedAttempts")} failed attempts between A and B");
        }
        finally
        {
            await serverA.DisposeAsync();
            if (serverB is not null)
            {
                await serverB.DisposeAsync();
            }
        }
    }
}
