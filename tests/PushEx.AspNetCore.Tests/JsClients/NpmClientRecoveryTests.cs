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
}
