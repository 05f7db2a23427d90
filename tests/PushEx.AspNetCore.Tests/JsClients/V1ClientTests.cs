using System.Text.Json.Nodes;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.JsClients;

/// <summary>
/// A V1 client (no <c>vsn</c>, object frames) sending exactly what the original PushEx's Tsung load test sends
/// (<c>examples/load-test/agent/multi_client.xml</c>), over <c>ws</c> in Node, against the sample server.
/// </summary>
public sealed class V1ClientTests
{
    [Fact]
    public async Task TsungFrames_JoinHeartbeatAndReceivePushes_InV1Objects()
    {
        await using var host = await SampleHost.StartAsync();

        var observed = await NodeScript.RunAsync("v1-client.mjs", [$"--server={host.BaseAddress}", $"--key={SampleHost.ApiKey}"], NpmClient.Timeout);

        // PROTOCOL.md §2.3 and §12 #59/#60: objects with topic, event, payload and ref, never a join_ref.
        string[] expected =
        [
            """{"topic":"user:1","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"1"}""",
            """{"topic":"user:2","event":"phx_reply","payload":{"status":"error","response":{"reason":"unauthorized"}},"ref":"2"}""",
            """{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"3"}""",
            """{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"4"}""",
            """{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"5"}""",
            """{"topic":"user:1","event":"msg","payload":{"data":{"id":7,"text":"ünïcode ✓"},"event":"created","offset":1,"epoch":"…"},"ref":null}""",
            """{"topic":"user:1","event":"msg","payload":{"data":null,"event":"nothing","offset":2,"epoch":"…"},"ref":null}""",
            """{"topic":"user:1","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"6"}""",
            // The join carried no join_ref, so the channel's close has none to echo as its ref.
            """{"topic":"user:1","event":"phx_close","payload":{},"ref":null}""",
        ];
        var received = observed.GetProperty("received").EnumerateArray().Select(frame => Epochs.Mask(frame.GetString()!)).ToArray();
        Assert.Equal(expected.Length, received.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            // Key order is free in V1 objects; the values are not.
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected[i]), JsonNode.Parse(received[i])), $"Frame {i}: expected {expected[i]}, got {received[i]}");
        }

        Assert.Equal(1000, observed.GetProperty("closeCode").GetInt32());
        await Eventually.TrueAsync(() => host.Statistics.SocketCount == 0, "the server saw the socket close");
    }
}
