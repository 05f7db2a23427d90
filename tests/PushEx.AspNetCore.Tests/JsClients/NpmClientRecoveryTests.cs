using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.JsClients;

/// <summary>The unmodified npm clients, which rejoin with <c>{}</c>, get every push they missed while reconnecting.</summary>
public sealed class NpmClientRecoveryTests
{
    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task ConnectionCut_PushesWhileAway_AreRecoveredOnTheRejoin_EachOnceAndInOrder(string client)
    {
        await using var host = await SampleHost.StartAsync();

        var observed = await NpmClient.RunAsync(client, "recover", host);

        string[] expected = [.. Enumerable.Range(1, 11).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Equal(expected, NpmClient.ReceivedData(observed.GetProperty("received")));
        Assert.Equal(2, observed.GetProperty("opens").GetInt32());
        var recovery = Assert.Single(observed.GetProperty("recoveryEvents").EnumerateArray());
        Assert.True(recovery.GetProperty("recovered").GetBoolean(), $"{recovery}");
        Assert.Equal(5, recovery.GetProperty("missed").GetInt64());
        Assert.Equal(10, recovery.GetProperty("offset").GetInt64());
    }

    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task NodeDrains_ClientMovesToAnotherNode_EveryPushPostedMeanwhileArrivesOnceInOrder(string client)
    {
        await using var redis = await RedisServer.StartAsync();
        string[] cluster = [$"--PushEx:Redis={redis.Configuration}", "--PushEx:DisconnectSocketsOnShutdown=true", "--PushEx:ShutdownDisconnectWindow=00:00:00"];
        var nodeA = await SampleHost.StartAsync(cluster);
        try
        {
            await using var nodeB = await SampleHost.StartAsync(cluster);
            await using var balancer = new TcpRelay(nodeA.BaseAddress);
            await using var run = NpmClient.Start(client, "move", balancer.BaseAddress);
            await run.WaitForProgressAsync("joined", NpmClient.Timeout);
            var posted = 0;

            // 50 pushes a second, all to node B: before the move, while node A drains, and after.
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            async Task PostAsync(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    await pace.WaitForNextTickAsync(TestContext.Current.CancellationToken);
                    await nodeB.PushAsync("user:1", "n", ++posted);
                }
            }

            await PostAsync(25);
            balancer.PointAt(nodeB.BaseAddress);
            var draining = nodeA.StopAsync();
            await PostAsync(50);
            await draining;
            await PostAsync(25);
            await nodeB.PushAsync("user:1", "n", "end");

            var observed = await run.ResultAsync(NpmClient.Timeout);
            string[] expected = [.. Enumerable.Range(1, posted).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), "\"end\""];
            Assert.Equal(expected, NpmClient.ReceivedData(observed.GetProperty("received")));
            Assert.Equal(2, observed.GetProperty("opens").GetInt32());
            Assert.Equal(1012, observed.GetProperty("closeCodes")[0].GetInt32());
            var recovery = Assert.Single(observed.GetProperty("recoveryEvents").EnumerateArray());
            Assert.True(recovery.GetProperty("recovered").GetBoolean(), $"{recovery}");
        }
        finally
        {
            await nodeA.DisposeAsync();
        }
    }
}
