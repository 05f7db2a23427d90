using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Tests.Infrastructure;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;
using static PushEx.AspNetCore.Tests.PubSub.PubSubAdapterSpecification;

namespace PushEx.AspNetCore.Tests.PubSub;

/// <summary>
/// PushEx nodes on a Redis Cluster that loses a master, or moves a slot to another master, with no restart of PushEx.
/// Each test has a cluster of its own: what it does to the cluster would disturb others.
/// </summary>
public sealed partial class RedisClusterFailoverTests
{
    private const string Prefix = "pushex:";

    [Fact]
    public async Task KillAMaster_ItsTopicsRefusedUntilItsReplicaTakesOver_TopicsOnOtherShardsNeverInterrupted()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var cluster = await RedisCluster.StartAsync(cancellationToken);
        var topics = await cluster.TopicPerMasterAsync(Prefix, cancellationToken);
        var (killedTopic, killedMaster) = topics[0];
        using var logs = new RecordingLoggerProvider();
        await using var a = await StartNodeAsync(cluster, logs);
        await using var b = await StartNodeAsync(cluster);
        var clients = new Dictionary<string, TestWebSocket>();
        try
        {
            foreach (var (topic, _) in topics)
            {
                clients[topic] = await JoinAsync(b, topic);
                await AssertNextFrameIsHeartbeatReplyAsync(clients[topic]);
            }

            using var http = a.CreateHttpClient();
            var pusher = new Pusher(http, [.. topics.Select(topic => topic.Topic)]);

            // The killed master's replica has the topic's history before the crash, so its offsets go on after it.
            await pusher.PushRoundAsync(pushTo: _ => true);
            await RedisCluster.WaitUntilReplicatedAsync(killedMaster, cancellationToken);

            var killed = false;
            var degradedSeen = false;
            using var stop = new CancellationTokenSource();
            var pushing = Task.Run(
                async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var refused = await pusher.PushRoundAsync(pushTo: topic => topic != killedTopic || Volatile.Read(ref killed));
                        if (refused.Contains(killedTopic))
                        {
                            degradedSeen |= await ReadinessAsync(a) == HealthStatus.Degraded;
                        }

                        // Paces the rounds; nothing waits on it.
                        await Task.Delay(20, CancellationToken.None);
                    }
                },
                CancellationToken.None);

            await cluster.KillMasterAsync(killedMaster);
            Volatile.Write(ref killed, true);
            await cluster.WaitForFailoverAsync(killedMaster, cancellationToken);
            await Eventually.TrueAsync(
                () => pusher.AcceptedAfterRefusal(killedTopic),
                "a push to the killed master's topic accepted again after the failover, with no restart",
                TimeSpan.FromSeconds(30));
            await stop.CancelAsync();
            await pushing.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

            Assert.True(pusher.Refused(killedTopic) > 0, "pushes to the killed master's topic are refused while it is down");
            Assert.True(degradedSeen, "readiness reports the backplane degraded while a shard is down");
            foreach (var (topic, _) in topics.Skip(1))
            {
                Assert.Equal(0, pusher.Refused(topic));
            }

            // Every accepted push reaches node B's subscriber once and in order: the killed shard's subscription came back by itself.
            foreach (var (topic, _) in topics)
            {
                var accepted = pusher.Accepted(topic);
                var received = new List<int>();
                var offsets = new List<long>();
                while (received.Count < accepted.Count)
                {
                    var frame = Push().Match(await clients[topic].ReceiveTextAsync(TimeSpan.FromSeconds(30)));
                    Assert.True(frame.Success);
                    Assert.Equal(topic, frame.Groups["topic"].Value);
                    received.Add(int.Parse(frame.Groups["data"].Value, CultureInfo.InvariantCulture));
                    offsets.Add(long.Parse(frame.Groups["offset"].Value, CultureInfo.InvariantCulture));
                }

                Assert.Equal(accepted, received);
                Assert.Equal(Enumerable.Range(1, offsets.Count).Select(offset => (long)offset), offsets);
                await AssertNextFrameIsHeartbeatReplyAsync(clients[topic]);
            }

            var newMaster = await cluster.MasterOfKeyAsync($"{Prefix}h:{{t:{killedTopic}}}:channel", cancellationToken);
            Assert.Equal(1, await RedisCluster.ShardSubscribersAsync(newMaster, $"{Prefix}h:{{t:{killedTopic}}}:channel", cancellationToken));
            Assert.Equal(HealthStatus.Healthy, await ReadinessAsync(a));

            // Each transition is logged once, not per push; the backplane as a whole was never lost.
            Assert.Single(logs.Entries, entry => entry.EventName == "ShardDown");
            Assert.Single(logs.Entries, entry => entry.EventName == "ShardsRestored");
            Assert.DoesNotContain(logs.Entries, entry => entry.EventName == "BackplaneLost");
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task MoveATopicsSlot_TheSubscriptionAndTheHistoryMoveWithIt()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var cluster = await RedisCluster.StartAsync(cancellationToken);
        const string Topic = "moving";
        var channel = $"{Prefix}h:{{t:{Topic}}}:channel";
        var from = await cluster.MasterOfKeyAsync(channel, cancellationToken);
        var to = cluster.MasterPorts.First(port => port != from);
        await using var a = await StartNodeAsync(cluster);
        await using var b = await StartNodeAsync(cluster);
        await using var onB = await JoinAsync(b, Topic);
        await AssertNextFrameIsHeartbeatReplyAsync(onB);
        using var http = a.CreateHttpClient();

        await PostOkAsync(http, Topic, 1);
        var first = Push().Match(await onB.ReceiveTextAsync());
        var epoch = first.Groups["epoch"].Value;
        await cluster.MoveSlotAsync(await cluster.KeySlotAsync(channel, cancellationToken), to, cancellationToken);

        await Eventually.TrueAsync(
            () => RedisCluster.ShardSubscribersAsync(to, channel).GetAwaiter().GetResult() == 1,
            "node B subscribed to the topic's channel on the slot's new master",
            TimeSpan.FromSeconds(30));
        Assert.Equal(0, await RedisCluster.ShardSubscribersAsync(from, channel, cancellationToken));
        await PostOkAsync(http, Topic, 2);
        Assert.Equal($$"""["3",null,"{{Topic}}","msg",{"data":2,"event":"e","offset":2,"epoch":"{{epoch}}"}]""", await onB.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(onB);

        // The history moved with the slot: a client recovering from the start gets both pushes.
        await using var recovering = await TestWebSocket.ConnectAsync(a.SocketUri());
        await recovering.SendTextAsync($$$"""["3","3","{{{Topic}}}","phx_join",{"recover":{"epoch":"{{{epoch}}}","offset":0}}]""");
        Assert.Equal($$$"""["3","3","{{{Topic}}}","phx_reply",{"status":"ok","response":{}}]""", await recovering.ReceiveTextAsync());
        Assert.Equal($$"""["3",null,"{{Topic}}","recovery",{"recovered":true,"epoch":"{{epoch}}","offset":2,"missed":2}]""", await recovering.ReceiveTextAsync());
        Assert.Equal($$"""["3",null,"{{Topic}}","msg",{"data":1,"event":"e","offset":1,"epoch":"{{epoch}}"}]""", await recovering.ReceiveTextAsync());
        Assert.Equal($$"""["3",null,"{{Topic}}","msg",{"data":2,"event":"e","offset":2,"epoch":"{{epoch}}"}]""", await recovering.ReceiveTextAsync());
    }

    private static Task<PushExTestHost> StartNodeAsync(RedisCluster cluster, RecordingLoggerProvider? logs = null) =>
        PushExTestHost.StartAsync(
            configureServices: logs is null ? null : LogRecording.Into(logs),
            configurePushEx: pushEx => pushEx.AddRedis(options => RedisHosts.Configure(options, cluster.Configuration, Prefix)));

    private static async Task<HealthStatus> ReadinessAsync(PushExTestHost host) =>
        (await host.GetRequiredService<HealthCheckService>().CheckHealthAsync(check => check.Tags.Contains("ready"))).Status;

    private static async Task PostOkAsync(HttpClient http, string topic, int data)
    {
        using var response = await PostAsync(http, $$"""{"channel":"{{topic}}","data":{{data}},"event":"e"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [GeneratedRegex("""^\["3",null,"(?<topic>[^"]+)","msg",\{"data":(?<data>\d+),"event":"e","offset":(?<offset>\d+),"epoch":"(?<epoch>[^"]+)"\}\]$""")]
    private static partial Regex Push();

    /// <summary>Posts rounds of pushes, one to each topic, numbered by round, and records what the API answered.</summary>
    private sealed class Pusher(HttpClient http, IReadOnlyList<string> topics)
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Round, HttpStatusCode Status)>> _answers = new();
        private int _round;

        /// <summary>Returns the topics whose push was refused with 503; any other answer but 200 fails the test.</summary>
        public async Task<List<string>> PushRoundAsync(Func<string, bool> pushTo)
        {
            var round = ++_round;
            var refused = new List<string>();
            foreach (var topic in topics.Where(pushTo))
            {
                using var response = await PostAsync(http, $$"""{"channel":"{{topic}}","data":{{round}},"event":"e"}""");
                Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
                _answers.GetOrAdd(topic, _ => new()).Enqueue((round, response.StatusCode));
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    refused.Add(topic);
                }
            }

            return refused;
        }

        public List<int> Accepted(string topic) => [.. Answers(topic).Where(answer => answer.Status == HttpStatusCode.OK).Select(answer => answer.Round)];

        public int Refused(string topic) => Answers(topic).Count(answer => answer.Status == HttpStatusCode.ServiceUnavailable);

        public bool AcceptedAfterRefusal(string topic)
        {
            var answers = Answers(topic);
            var refusal = answers.FindIndex(answer => answer.Status == HttpStatusCode.ServiceUnavailable);
            return refusal >= 0 && answers.Skip(refusal).Any(answer => answer.Status == HttpStatusCode.OK);
        }

        private List<(int Round, HttpStatusCode Status)> Answers(string topic) => [.. _answers.GetValueOrDefault(topic) ?? []];
    }
}
