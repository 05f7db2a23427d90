using System.Text.Json;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.JsClients;

/// <summary>Pushes posted to <c>POST /api/push</c>, as the unmodified npm clients hand them to the app.</summary>
public sealed class NpmClientPushTests
{
    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task Bind_StarAndEvent_CalledWithDataAndEvent_ForEveryJsonType(string client)
    {
        await using var host = await SampleHost.StartAsync();

        var observed = await NpmClient.RunAsync(client, "bindings", host);

        string[] events = ["evt", "number", "number", "object", "array", "null", "boolean", "evt", "unicode-évènement-🚀", "large", "evt"];
        var star = observed.GetProperty("star").EnumerateArray().ToArray();
        Assert.Equal(events, star.Select(push => push.GetProperty("event").GetString()));
        Assert.All(star, push => Assert.True(push.GetProperty("equal").GetBoolean() && push.GetProperty("argCount").GetInt32() == 2, $"{push}"));
        Assert.Equal(
            [
                "\"a string\"", "42", "-12.5",
                """{"id":1,"nested":{"list":[1,{"deep":null}],"flag":false},"text":"x"}""",
                """[1,"two",null,true,{"three":3},[]]""",
                "null", "true",
            ],
            star.Take(7).Select(Json));
        Assert.Equal("héllo wörld, Ünïcödé ✓ 日本語 🚀 \u2028 \"quoted\" \\ </script>", JsonSerializer.Deserialize<string>(Json(star[7])));
        Assert.Equal("""{"ключ":"значение","emoji":"👩‍💻"}""", Json(star[8]));
        Assert.Equal(60 * 1024 + """{"blob":""}""".Length, star[9].GetProperty("bytes").GetInt32());

        // .bind("evt", fn) got the three "evt" pushes only.
        var evt = observed.GetProperty("evt").EnumerateArray().ToArray();
        Assert.Equal(3, evt.Length);
        Assert.All(evt, push => Assert.True(push.GetProperty("equal").GetBoolean() && push.GetProperty("event").GetString() == "evt", $"{push}"));
    }

    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task Subscribe_ForbiddenTopic_JoinRefusedAndNoPushes(string client)
    {
        await using var host = await SampleHost.StartAsync();
        using var delivered = new PushMeterReader(host.Services, "pushex.pushes.delivered");

        var observed = await NpmClient.RunAsync(client, "forbidden", host);

        Assert.Equal("error", observed.GetProperty("refusedJoin").GetProperty("status").GetString());
        Assert.Equal("ok", observed.GetProperty("ownJoin").GetProperty("status").GetString());
        Assert.Equal("ok", observed.GetProperty("witnessJoin").GetProperty("status").GetString());
        Assert.Equal(0, observed.GetProperty("intruderReceived").GetArrayLength());
        Assert.Equal(["\"for user 2 only\""], NpmClient.ReceivedData(observed.GetProperty("witnessReceived")));
        Assert.Equal(["\"after the secret\""], NpmClient.ReceivedData(observed.GetProperty("intruderOwn")));
        // Two deliveries in all: the secret to user 2, the sentinel to user 1.
        Assert.Equal(2, delivered.Total);
    }

    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task Receive_500PushesToOneTopic_CompleteAndInOrder(string client)
    {
        await using var host = await SampleHost.StartAsync();

        var observed = await NpmClient.RunAsync(client, "order", host);

        Assert.Equal(500, observed.GetProperty("count").GetInt32());
        Assert.True(observed.GetProperty("inOrder").GetBoolean(), $"First out of order at {observed.GetProperty("firstOutOfOrder")}");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{client}: 500 pushes posted in {observed.GetProperty("postedMs")} ms, all received after {observed.GetProperty("receivedMs")} ms");
    }

    [Theory]
    [InlineData("pushex")]
    [InlineData("phoenix")]
    public async Task Receive_PushesToSeveralTopics_EachTopicCompleteInOrder(string client)
    {
        await using var host = await SampleHost.StartAsync();

        var observed = await NpmClient.RunAsync(client, "interleave", host);

        foreach (var topic in observed.GetProperty("topics").EnumerateObject())
        {
            Assert.True(topic.Value.GetProperty("matches").GetBoolean(), $"{topic.Name}: {topic.Value}");
            Assert.Equal(63, topic.Value.GetProperty("count").GetInt32());
        }

        // More switches than one block per topic: the three topics' pushes really shared the socket.
        Assert.True(observed.GetProperty("topicSwitches").GetInt32() > 2, $"The topics were not interleaved: {observed}");
    }

    private static string Json(JsonElement push) => push.GetProperty("json").GetString()!;
}
