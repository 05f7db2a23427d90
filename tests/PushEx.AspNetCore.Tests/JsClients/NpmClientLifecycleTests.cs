using System.Text.Json;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.JsClients;

/// <summary>Leaving and coming back with the unmodified npm clients: unsubscribe, disconnect, bursts of joins and leaves.</summary>
public sealed class NpmClientLifecycleTests
{
    private static readonly string[] RapidTopics = ["room:a", "room:b", "room:c", "room:d"];

    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task Unsubscribe_Resolves_PushesStop_ThenDisconnectClosesCleanly(string client)
    {
        await using var host = await SampleHost.StartAsync();

        var observed = await NpmClient.RunAsync(client, "unsubscribe", host);

        Assert.True(observed.GetProperty("unsubscribeResolved").GetBoolean());
        Assert.Equal(["1"], NpmClient.ReceivedData(observed.GetProperty("received")));
        // Not even a frame the client could have dropped: the server sent one push on room:u to this socket.
        Assert.Equal(1, observed.GetProperty("msgFrames").GetProperty("room:u").GetInt32());
        // The leave was answered ok and followed by the server's phx_close for the same join.
        var leave = Assert.Single(observed.GetProperty("leaveReplies").EnumerateArray());
        var close = Assert.Single(observed.GetProperty("serverCloses").EnumerateArray());
        Assert.Equal("ok", leave[4].GetString());
        Assert.Equal(leave[0].GetString(), close[0].GetString());

        var afterDisconnect = observed.GetProperty("afterDisconnect");
        Assert.Equal("""[{"code":1000,"wasClean":true}]""", afterDisconnect.GetProperty("transportCloses").GetRawText());
        Assert.Equal(1, afterDisconnect.GetProperty("opens").GetInt32());
        Assert.Equal(0, afterDisconnect.GetProperty("errors").GetArrayLength());
        await Eventually.TrueAsync(() => host.Statistics.SocketCount == 0 && host.Statistics.ChannelCount == 0, "the server let go of both sockets");
    }

    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task JoinLeaveRejoin_InBursts_EndsJoinedOnceAndEachPushArrivesOnce(string client)
    {
        await using var host = await SampleHost.StartAsync();
        using var delivered = new PushMeterReader(host.Services, "pushex.pushes.delivered");
        await using var run = NpmClient.Start(client, "rapid", host);

        await run.WaitForProgressAsync("settled", NpmClient.Timeout);
        // The server's view once the bursts are over: one socket, each topic joined exactly once.
        Assert.Equal(1, host.Statistics.SocketCount);
        Assert.Equal(RapidTopics, host.Statistics.GetChannels().Select(channel => channel.Topic).Order());
        await Eventually.TrueAsync(() => delivered.Total >= 4 * 20, "the server counted the deliveries");
        Assert.Equal(4 * 20, delivered.Total);
        foreach (var topic in RapidTopics)
        {
            await host.PushAsync(topic, "n", "end");
        }

        var observed = await run.ResultAsync(NpmClient.Timeout);

        string[] expected = [.. Enumerable.Range(0, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), "\"end\""];
        foreach (var topic in RapidTopics)
        {
            var seen = observed.GetProperty("topics").GetProperty(topic);
            Assert.Equal(expected, seen.GetProperty("received").EnumerateArray().Select(data => data.GetRawText()));
            Assert.True(seen.GetProperty("msgFrames").GetInt32() == 21, $"{topic}: the server sent {seen.GetProperty("msgFrames")} pushes to the socket: {seen}");
            // Every join the server answered was ok; every join but the last one was closed (leave or duplicate join).
            var joins = seen.GetProperty("joinReplies").EnumerateArray().ToArray();
            Assert.All(joins, join => Assert.Equal("ok", join.GetProperty("status").GetString()));
            Assert.Equal(joins.Length - 1, seen.GetProperty("serverCloses").GetInt32());
        }

        await Eventually.TrueAsync(() => delivered.Total >= 4 * 21, "the server counted the deliveries");
        Assert.Equal(4 * 21, delivered.Total);
        Assert.True(observed.GetProperty("refusedAttempts").GetInt32() >= 1);
        TestContext.Current.TestOutputHelper?.WriteLine($"{client}: join replies per topic: " +
            string.Join(", ", RapidTopics.Select(topic => $"{topic} {observed.GetProperty("topics").GetProperty(topic).GetProperty("joinReplies").GetArrayLength()}")));
        AssertBurstsReachedTheServer(client, observed.GetProperty("topics"));
        await Eventually.TrueAsync(() => host.Statistics.SocketCount == 0, "the server saw the socket close");
    }

    // The bursts really were bursts: pushex's buffered join was followed by its rejoin (a duplicate join, §4.6);
    // both clients joined room:c six times; phoenix joined room:d five times (four replaced channel objects).
    private static void AssertBurstsReachedTheServer(string client, JsonElement topics)
    {
        int Joins(string topic) => topics.GetProperty(topic).GetProperty("joinReplies").GetArrayLength();
        Assert.Equal(6, Joins("room:c"));
        if (client == "pushex")
        {
            Assert.Equal(2, Joins("room:a"));
            Assert.Equal(3, Joins("room:b"));
            Assert.Equal(1, Joins("room:d"));
        }
        else
        {
            Assert.Equal(5, Joins("room:d"));
        }
    }
}
