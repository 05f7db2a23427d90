using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.History;
using PushEx.Pipeline;
using PushEx.PubSub;
using PushEx.PubSub.Redis;
using StackExchange.Redis;
using static PushEx.AspNetCore.Tests.PubSub.PubSubAdapterSpecification;
using StreamPosition = PushEx.History.StreamPosition;

namespace PushEx.AspNetCore.Tests.PubSub;

/// <summary>
/// Topic history and resume positions on a real redis-server: offsets and epochs, one delivery order on every node,
/// reads after an offset, trimming, data loss, resume positions, and topics without history left as they were.
/// </summary>
public sealed class RedisHistoryTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private RedisServer _redis = null!;

    public async ValueTask InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Publish_ThreePushes_GetOffsets1To3InOneEpoch_AndSubscribersSeeThem()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync(_redis.Configuration);
        await using var onB = await JoinAsync(b, "t");
        var adapter = a.GetRequiredService<IPubSubAdapter>();

        var pushes = new List<Push>();
        for (var i = 1; i <= 3; i++)
        {
            var push = CreatePush(a, "t", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(await adapter.PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
            pushes.Add(push);
        }

        var epoch = await EpochOfAsync(_redis, "t");
        Assert.Equal([new StreamPosition(epoch, 1), new StreamPosition(epoch, 2), new StreamPosition(epoch, 3)], pushes.Select(push => push.Position));
        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal($$"""["3",null,"t","msg",{"data":{{i}},"event":"e","offset":{{i}},"epoch":"{{epoch}}"}]""", await onB.ReceiveTextAsync());
        }

        await AssertNextFrameIsHeartbeatReplyAsync(onB);
    }

    [Fact]
    public async Task Publish_SubscribedHere_DeliversTheEchoExactlyOnce_AndReportsListeners()
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration);
        await using var client = await JoinAsync(host, "t");
        var adapter = host.GetRequiredService<IPubSubAdapter>();

        Assert.True(await adapter.PublishAsync(CreatePush(host, "t", "1"), TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));

        var epoch = await EpochOfAsync(_redis, "t");
        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{epoch}}"}]""", await client.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task Publish_AfterTheLastSubscriberLeft_ReportsNoListeners_AndKeepsThePush()
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration);
        await using var client = await JoinAsync(host, "t");
        await client.SendTextAsync("""["3","4","t","phx_leave",{}]""");
        await client.ReceiveTextAsync();
        await client.ReceiveTextAsync();
        var adapter = host.GetRequiredService<IPubSubAdapter>();

        await Eventually.TrueAsync(() => RedisSubscriptionTests.CountSubscribers(_redis, "pushex:topic:t") == 0, "the node unsubscribed from the topic's channel");
        var push = CreatePush(host, "t", "1");

        Assert.False(await adapter.PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(1, push.Position?.Offset);
        var read = await adapter.ReadHistoryAsync("t", 0, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(1, Assert.Single(read.Pushes).Position?.Offset);
        await AssertNextFrameIsHeartbeatReplyAsync(client);
    }

    [Fact]
    public async Task Publish_TwoNodesConcurrentlyToOneTopic_EverySubscriberSeesTheSameGaplessOrder()
    {
        const int PerNode = 200;
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync(_redis.Configuration);
        await using var c = await RedisHosts.StartAsync(_redis.Configuration);
        await using var onA = await JoinAsync(a, "race");
        await using var onB = await JoinAsync(b, "race");
        await using var onC = await JoinAsync(c, "race");

        // Both nodes push at once; each node's pipeline sends one topic's pushes one after another, so Redis interleaves them.
        await Task.WhenAll(PublishManyAsync(a, "a"), PublishManyAsync(b, "b")).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        var seen = new List<List<(long Offset, string Epoch, string From, int Index)>>();
        foreach (var client in new[] { onA, onB, onC })
        {
            var received = new List<(long, string, string, int)>();
            for (var i = 0; i < 2 * PerNode; i++)
            {
                received.Add(ParsePush(await client.ReceiveTextAsync()));
            }

            await AssertNextFrameIsHeartbeatReplyAsync(client);
            seen.Add(received);
        }

        var first = seen[0];
        Assert.Equal(Enumerable.Range(1, 2 * PerNode).Select(offset => (long)offset), first.Select(push => push.Offset));
        Assert.Single(first.Select(push => push.Epoch).Distinct());
        foreach (var from in new[] { "a", "b" })
        {
            Assert.Equal(Enumerable.Range(0, PerNode), first.Where(push => push.From == from).Select(push => push.Index));
        }

        Assert.Equal(first, seen[1]);
        Assert.Equal(first, seen[2]);

        static async Task PublishManyAsync(PushExTestHost host, string from)
        {
            await Task.Yield();
            var publisher = host.GetRequiredService<IPushPublisher>();
            for (var i = 0; i < PerNode; i++)
            {
                Assert.Equal(PublishResult.Accepted, publisher.TryPublish("race", "e", Encoding.UTF8.GetBytes($$"""{"from":"{{from}}","i":{{i}}}""")));
            }
        }

        static (long, string, string, int) ParsePush(string frame)
        {
            using var json = JsonDocument.Parse(frame);
            var payload = json.RootElement[4];
            var data = payload.GetProperty("data");
            return (payload.GetProperty("offset").GetInt64(), payload.GetProperty("epoch").GetString()!, data.GetProperty("from").GetString()!, data.GetProperty("i").GetInt32());
        }
    }

    [Fact]
    public async Task ReadHistory_AfterAnOffset_ReturnsTheLaterPushesInOrder()
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration);
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        var publisher = host.GetRequiredService<PushPipeline>();
        for (var i = 1; i <= 5; i++)
        {
            await adapter.PublishAsync(publisher.CreatePush("t", $"ev{i}", Encoding.UTF8.GetBytes($$"""{"n":{{i}}}""")), TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }

        var epoch = await EpochOfAsync(_redis, "t");

        var read = await ReadAsync(adapter, "t", 2);

        Assert.Equal(new StreamPosition(epoch, 5), read.Top);
        Assert.True(read.IsComplete);
        Assert.Equal(
            [("ev3", """{"n":3}""", 3L), ("ev4", """{"n":4}""", 4L), ("ev5", """{"n":5}""", 5L)],
            read.Pushes.Select(push => (push.Event, Encoding.UTF8.GetString(push.Data.Span), push.Position!.Value.Offset)));
        Assert.All(read.Pushes, push => Assert.Equal(epoch, push.Position!.Value.Epoch));
        Assert.All(read.Pushes, push => Assert.Equal("t", push.Channel));
        Assert.Equal(
            $$"""{"data":{"n":3},"event":"ev3","offset":3,"epoch":"{{epoch}}"}""",
            Encoding.UTF8.GetString(read.Pushes[0].MsgPayload.Span));
        Assert.Equal(5, (await ReadAsync(adapter, "t", 0)).Pushes.Count);
    }

    [Fact]
    public async Task ReadHistory_AtThePositionOrBeyond_IsEmpty_CompleteOnlyAtTheTop()
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration);
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        await PublishAsync(host, "t", 2);
        var top = new StreamPosition(await EpochOfAsync(_redis, "t"), 2);

        Assert.Equal(new HistoryRead(top, true, []), await ReadAsync(adapter, "t", 2), HistoryReadComparer.Instance);
        Assert.Equal(new HistoryRead(top, false, []), await ReadAsync(adapter, "t", 3), HistoryReadComparer.Instance);
        Assert.Equal(new HistoryRead(top, false, []), await ReadAsync(adapter, "t", long.MaxValue), HistoryReadComparer.Instance);
        Assert.Equal(new HistoryRead(top, false, []), await ReadAsync(adapter, "t", -1), HistoryReadComparer.Instance);
    }

    [Fact]
    public async Task ReadHistory_TopicNeverPushed_HasNoPosition()
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration);

        var read = await ReadAsync(host.GetRequiredService<IPubSubAdapter>(), "never", 0);

        Assert.Null(read.Top);
        Assert.False(read.IsComplete);
        Assert.Empty(read.Pushes);
    }

    [Fact]
    public async Task ReadHistory_PushesTrimmedByCount_IsIncomplete_ButCompleteFromWhatIsKept()
    {
        await using var host = await RedisHosts.StartAsync(
            _redis.Configuration,
            configureOptions: options => options.History.Rules.Add(new TopicHistoryRule { Prefix = "small:", MaxPushes = 3 }));
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        await PublishAsync(host, "small:t", 5);

        var trimmed = await ReadAsync(adapter, "small:t", 1);
        var kept = await ReadAsync(adapter, "small:t", 2);

        Assert.Equal(5, trimmed.Top?.Offset);
        Assert.False(trimmed.IsComplete);
        Assert.Empty(trimmed.Pushes);
        Assert.True(kept.IsComplete);
        Assert.Equal([3L, 4L, 5L], kept.Pushes.Select(push => push.Position!.Value.Offset));
    }

    [Fact]
    public async Task ReadHistory_PushesOlderThanTheWindow_AreDropped_SoTheReadIsIncomplete()
    {
        var clock = new ShiftedTimeProvider();
        await using var host = await PushExTestHost.StartAsync(
            configureServices: services => services.AddSingleton<TimeProvider>(clock),
            configurePushEx: pushEx => pushEx.AddRedis(options => RedisHosts.Configure(options, _redis.Configuration, "pushex:")));
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        await PublishAsync(host, "t", 1);
        clock.Shift = TimeSpan.FromMinutes(1);
        await PublishAsync(host, "t", 1);

        clock.Shift = TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1);

        Assert.False((await ReadAsync(adapter, "t", 0)).IsComplete);
        Assert.Equal(2, Assert.Single((await ReadAsync(adapter, "t", 1)).Pushes).Position?.Offset);
    }

    [Fact]
    public async Task Publish_AfterRedisLostItsData_StartsANewEpochAtOffset1()
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration);
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        await PublishAsync(host, "t", 2);
        var lost = await EpochOfAsync(_redis, "t");

        await ExecuteAsync(_redis, "FLUSHALL");
        var push = CreatePush(host, "t", "3");
        await adapter.PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.NotEqual(lost, push.Position?.Epoch);
        Assert.Equal(1, push.Position?.Offset);
        var read = await ReadAsync(adapter, "t", 0);
        Assert.Equal(push.Position, read.Top);
        Assert.Equal(1, Assert.Single(read.Pushes).Position?.Offset);
    }

    [Fact]
    public async Task Publish_MetaLostButLogKept_StartsANewEpochInsteadOfFailing()
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration);
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        await PublishAsync(host, "t", 3);
        var lost = await EpochOfAsync(_redis, "t");

        // As an eviction policy may do: the meta goes, the log (with offsets up to 3) stays.
        await ExecuteAsync(_redis, "DEL", "pushex:h:{t:t}:meta");
        var push = CreatePush(host, "t", "4");
        await adapter.PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.NotEqual(lost, push.Position?.Epoch);
        Assert.Equal(1, push.Position?.Offset);
        Assert.Equal([1L], (await ReadAsync(adapter, "t", 0)).Pushes.Select(kept => kept.Position!.Value.Offset));
    }

    [Fact]
    public async Task Publish_KeepsTheLogForTheWindow_AndThePositionForItsRetention()
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration, configureOptions: options =>
        {
            options.History.Window = TimeSpan.FromSeconds(90);
            options.History.PositionRetention = TimeSpan.FromHours(5);
        });
        await PublishAsync(host, "t", 1);

        var logTtl = (long)await EvaluateAsync(_redis, "PTTL", "pushex:h:{t:t}:log");
        var metaTtl = (long)await EvaluateAsync(_redis, "PTTL", "pushex:h:{t:t}:meta");

        Assert.InRange(logTtl, 80_000, 90_000);
        Assert.InRange(metaTtl, 5 * 3_600_000 - 10_000, 5 * 3_600_000);
    }

    [Fact]
    public async Task PositionedPush_AsTheScriptPublishesIt_IsTheMessageRedisMessageDescribes()
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration);
        await using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        var queue = await raw.GetSubscriber().SubscribeAsync(RedisChannel.Literal("pushex:topic:t"));
        var push = host.GetRequiredService<PushPipeline>().CreatePush("t", "say \"hé\"", """{"a":[1,2]}"""u8.ToArray());

        await host.GetRequiredService<IPubSubAdapter>().PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var message = (byte[])(await queue.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken)).Message!;

        Assert.True(RedisMessage.TryDecode(message, out var decoded));
        var expected = RedisMessage.EncodePositionedPush(decoded.Value.Node, push.Position!.Value, push.Event, push.Data.Span, push.UnixMsAcceptedAt);
        Assert.Equal(expected, message);
    }

    [Fact]
    public async Task PublishScript_RetriedAfterItRan_ReturnsTheSameOffset_WithoutAppendingOrPublishingAgain()
    {
        await using var raw = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        var queue = await raw.GetSubscriber().SubscribeAsync(RedisChannel.Literal("pushex:topic:t"));
        var database = raw.GetDatabase();
        RedisKey[] keys = ["pushex:h:{t:t}:meta", "pushex:h:{t:t}:log"];
        RedisValue[] Arguments(string pushId, int retry) =>
            ["pushex:topic:t", RedisMessage.PositionedPushHead(Guid.NewGuid()), "candidate", 100, 120_000, 86_400_000, 1, "e", "1", pushId, retry];

        var first = (RedisResult[])(await database.ScriptEvaluateAsync(RedisScripts.Publish, keys, Arguments("push-1", retry: 0)))!;
        var retried = (RedisResult[])(await database.ScriptEvaluateAsync(RedisScripts.Publish, keys, Arguments("push-1", retry: 1)))!;
        var next = (RedisResult[])(await database.ScriptEvaluateAsync(RedisScripts.Publish, keys, Arguments("push-2", retry: 1)))!;

        Assert.Equal(("candidate", 1L), ((string)first[0]!, (long)first[1]));
        Assert.Equal(("candidate", 1L, 1L), ((string)retried[0]!, (long)retried[1], (long)retried[2]));
        Assert.Equal(2L, (long)next[1]);
        Assert.Equal(2L, await database.StreamLengthAsync(keys[1]));
        var offsets = new List<long>();
        for (var i = 0; i < 2; i++)
        {
            var published = (byte[])(await queue.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken)).Message!;
            Assert.True(RedisMessage.TryDecode(published, out var decoded));
            offsets.Add(decoded.Value.Position!.Value.Offset);
        }

        Assert.Equal([1L, 2L], offsets);
        Assert.False(queue.TryRead(out _));
    }

    [Fact]
    public async Task Publish_LocalSubscriberWithoutAChannelSubscription_StillGetsThePushOnce()
    {
        // Node B may publish and run scripts, but Redis refuses every SUBSCRIBE of it: its subscriber gets no echo.
        await ExecuteAsync(_redis, "ACL", "SETUSER", "node-b", "reset", "on", ">secret", "~*", "&*", "+@all", "-subscribe");
        await using var b = await RedisHosts.StartAsync($"{_redis.Configuration},user=node-b,password=secret");
        await using var onB = await JoinAsync(b, "t");
        // The join is live once a later frame is answered (its history read done): a push meanwhile would be held, and
        // a held push does not count as delivered by the publish.
        await AssertNextFrameIsHeartbeatReplyAsync(onB);
        var push = CreatePush(b, "t", "1");

        Assert.True(await b.GetRequiredService<IPubSubAdapter>().PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));

        Assert.Equal($$"""["3",null,"t","msg",{"data":1,"event":"e","offset":1,"epoch":"{{push.Position!.Value.Epoch}}"}]""", await onB.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(onB);
    }

    [Fact]
    public async Task TopicWithoutHistory_PublishesAsBefore_WithNoPositionAndNoKeys()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration, configureOptions: NoHistoryFor("plain:"));
        await using var b = await RedisHosts.StartAsync(_redis.Configuration, configureOptions: NoHistoryFor("plain:"));
        await using var onA = await JoinAsync(a, "plain:t");
        await using var onB = await JoinAsync(b, "plain:t");
        var adapter = a.GetRequiredService<IPubSubAdapter>();
        var push = CreatePush(a, "plain:t", "1");

        Assert.True(await adapter.PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.False(await adapter.PublishAsync(CreatePush(a, "plain:nobody", "1"), TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));

        Assert.Null(push.Position);
        Assert.Equal("""["3",null,"plain:t","msg",{"data":1,"event":"e"}]""", await onA.ReceiveTextAsync());
        Assert.Equal("""["3",null,"plain:t","msg",{"data":1,"event":"e"}]""", await onB.ReceiveTextAsync());
        await AssertNextFrameIsHeartbeatReplyAsync(onA);
        await AssertNextFrameIsHeartbeatReplyAsync(onB);
        Assert.Same(HistoryRead.None, await ReadAsync(adapter, "plain:t", 0));
        Assert.Empty((RedisResult[])(await EvaluateAsync(_redis, "KEYS", "pushex:h:*"))!);
    }

    [Fact]
    public async Task HistoryOff_NoPushGetsAPosition()
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration, configureOptions: options => options.History.Enabled = false);
        await using var client = await JoinAsync(host, "t");
        var push = CreatePush(host, "t", "1");

        Assert.True(await host.GetRequiredService<IPubSubAdapter>().PublishAsync(push, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));

        Assert.Null(push.Position);
        Assert.Equal("""["3",null,"t","msg",{"data":1,"event":"e"}]""", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task HistoryKeys_OfAnyTopic_ShareOneClusterSlot()
    {
        // Redis's own CLUSTER KEYSLOT, from a redis-server started in cluster mode for it (a standalone one refuses the command).
        var directory = Directory.CreateTempSubdirectory("pushex-keyslot-");
        try
        {
            var socket = Path.Combine(directory.FullName, "redis.sock");
            await using (var server = ChildProcess.Start(
                ChildProcess.FindOnPath("redis-server") ?? throw new InvalidOperationException("redis-server is not on PATH."),
                ["--port", "0", "--unixsocket", socket, "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(directory.FullName, "nodes.conf"), "--save", "", "--appendonly", "no"],
                directory.FullName))
            {
                await server.WaitForOutputAsync(new System.Text.RegularExpressions.Regex("ready to accept connections"), Timeout, TestContext.Current.CancellationToken);
                var channels = new RedisChannels("pushex:");
                foreach (var topic in new[] { "user:1", string.Empty, "}", "}x", "{a}", "a{b}c", "x}y{z", "{", "{}" })
                {
                    var keys = channels.History(topic);
                    Assert.True(
                        await KeySlotAsync(socket, keys[0]!) == await KeySlotAsync(socket, keys[1]!),
                        $"The meta and log of topic '{topic}' are in different slots.");
                }

                // Why the tag is {t:topic} and not {topic}: a topic starting with '}' would make an empty tag, which hashes the whole key.
                Assert.NotEqual(await KeySlotAsync(socket, "pushex:h:{}x}:meta"), await KeySlotAsync(socket, "pushex:h:{}x}:log"));
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }

        static async Task<string> KeySlotAsync(string socket, string key) =>
            (await ChildProcess.RunAsync("redis-cli", ["-s", socket, "CLUSTER", "KEYSLOT", key], Path.GetTempPath(), Timeout, cancellationToken: TestContext.Current.CancellationToken)).Trim();
    }

    [Fact]
    public async Task ResumePositions_SavedThenFound_ALaterSaveReplacesOneTopic()
    {
        await using var a = await RedisHosts.StartAsync(_redis.Configuration);
        await using var b = await RedisHosts.StartAsync(_redis.Configuration);
        var onA = a.GetRequiredService<IPubSubAdapter>();
        var onB = b.GetRequiredService<IPubSubAdapter>();

        await SaveAsync(onA, "user_socket:1", ("user:1", new StreamPosition("e1", 5)), ("room:9", new StreamPosition("e2", 7)));
        Assert.Equal(new StreamPosition("e1", 5), await FindAsync(onB, "user_socket:1", "user:1"));
        Assert.Equal(new StreamPosition("e2", 7), await FindAsync(onB, "user_socket:1", "room:9"));

        await SaveAsync(onB, "user_socket:1", ("user:1", new StreamPosition("e1", 9)));

        Assert.Equal(new StreamPosition("e1", 9), await FindAsync(onA, "user_socket:1", "user:1"));
        Assert.Equal(new StreamPosition("e2", 7), await FindAsync(onA, "user_socket:1", "room:9"));
        Assert.Null(await FindAsync(onA, "user_socket:1", "other"));
        Assert.Null(await FindAsync(onA, "user_socket:2", "user:1"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5:{now}")]
    [InlineData("5:{now}:")]
    [InlineData("x:{now}:e")]
    [InlineData("5:x:e")]
    [InlineData("-5:{now}:e")]
    [InlineData(":{now}:e")]
    public async Task FindResumePosition_MalformedValue_IsIgnored(string value)
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await ExecuteAsync(_redis, "HSET", "pushex:r:{s:user_socket:1}", "user:1", value.Replace("{now}", now, StringComparison.Ordinal));
        await ExecuteAsync(_redis, "HSET", "pushex:r:{s:user_socket:1}", "room:9", $"5:{now}:e");

        Assert.Null(await FindAsync(host.GetRequiredService<IPubSubAdapter>(), "user_socket:1", "user:1"));
        Assert.Equal(new StreamPosition("e", 5), await FindAsync(host.GetRequiredService<IPubSubAdapter>(), "user_socket:1", "room:9"));
    }

    [Fact]
    public async Task ResumePositions_AfterTheWindow_AreGone()
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration, configureOptions: options => options.History.Window = TimeSpan.FromSeconds(2));
        var adapter = host.GetRequiredService<IPubSubAdapter>();

        await SaveAsync(adapter, "user_socket:1", ("user:1", new StreamPosition("e1", 5)));
        Assert.Equal(new StreamPosition("e1", 5), await FindAsync(adapter, "user_socket:1", "user:1"));

        await Eventually.TrueAsync(() => (long)EvaluateAsync(_redis, "EXISTS", "pushex:r:{s:user_socket:1}").GetAwaiter().GetResult() == 0, "Redis expired the socket id's positions");
        Assert.Null(await FindAsync(adapter, "user_socket:1", "user:1"));
    }

    [Fact]
    public async Task ResumePositions_SavedOutsideTheWindowBeforeALaterSave_AreNotFound()
    {
        var clock = new ShiftedTimeProvider();
        await using var host = await PushExTestHost.StartAsync(
            configureServices: services => services.AddSingleton<TimeProvider>(clock),
            configurePushEx: pushEx => pushEx.AddRedis(options => RedisHosts.Configure(options, _redis.Configuration, "pushex:")));
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        await SaveAsync(adapter, "user_socket:1", ("user:1", new StreamPosition("e1", 5)));

        // The later save renews the hash's expiry; the first position must not live on with it.
        clock.Shift = TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1);
        await SaveAsync(adapter, "user_socket:1", ("room:9", new StreamPosition("e2", 7)));

        Assert.Null(await FindAsync(adapter, "user_socket:1", "user:1"));
        Assert.Equal(new StreamPosition("e2", 7), await FindAsync(adapter, "user_socket:1", "room:9"));
    }

    [Fact]
    public async Task WhileRedisIsDown_ReadThrows_SaveReturns_FindIsNull()
    {
        await using var host = await RedisHosts.StartAsync(_redis.Configuration);
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        await _redis.StopAsync();
        await Eventually.TrueAsync(() => !adapter.IsAvailable, "the node sees the outage");

        await Assert.ThrowsAsync<BackplaneUnavailableException>(() => ReadAsync(adapter, "t", 0));
        await SaveAsync(adapter, "user_socket:1", ("user:1", new StreamPosition("e1", 5)));
        Assert.Null(await FindAsync(adapter, "user_socket:1", "user:1"));
    }

    /// <summary>
    /// The epoch Redis holds for a topic (prefix <c>pushex:</c>), for exact frames in tests with history on. The topic
    /// gets it with its first publish, which a push accepted by the API may not have reached yet: wait for it.
    /// </summary>
    internal static async Task<string> EpochOfAsync(RedisServer redis, string topic)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var epoch = await connection.GetDatabase().HashGetAsync($"pushex:h:{{t:{topic}}}:meta", "e").WaitAsync(Timeout, TestContext.Current.CancellationToken);
            if (!epoch.IsNull)
            {
                return (string)epoch!;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until topic '{topic}' has an epoch in Redis.");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    private static Action<PushExOptions> NoHistoryFor(string prefix) =>
        options => options.History.Rules.Add(new TopicHistoryRule { Prefix = prefix, MaxPushes = 0 });

    private static async Task PublishAsync(PushExTestHost host, string topic, int count)
    {
        var adapter = host.GetRequiredService<IPubSubAdapter>();
        for (var i = 0; i < count; i++)
        {
            await adapter.PublishAsync(CreatePush(host, topic, "0"), TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }
    }

    private static Task<HistoryRead> ReadAsync(IPubSubAdapter adapter, string topic, long afterOffset) =>
        adapter.ReadHistoryAsync(topic, afterOffset, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

    private static Task SaveAsync(IPubSubAdapter adapter, string socketId, params (string Topic, StreamPosition Position)[] positions) =>
        adapter.SaveResumePositionsAsync(socketId, [.. positions.Select(pair => KeyValuePair.Create(pair.Topic, pair.Position))], TestContext.Current.CancellationToken)
            .AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

    private static Task<StreamPosition?> FindAsync(IPubSubAdapter adapter, string socketId, string topic) =>
        adapter.FindResumePositionAsync(socketId, topic, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

    private static async Task ExecuteAsync(RedisServer redis, params object[] command) => await EvaluateAsync(redis, command);

    private static async Task<RedisResult> EvaluateAsync(RedisServer redis, params object[] command)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"{redis.Configuration},allowAdmin=true");
        return await connection.GetServer(redis.Configuration).ExecuteAsync((string)command[0], command[1..]).WaitAsync(Timeout, TestContext.Current.CancellationToken);
    }

    /// <summary>The system clock moved forward by <see cref="Shift"/>; timers keep the real time.</summary>
    private sealed class ShiftedTimeProvider : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }

    /// <summary>Compares reads by value, pushes by position.</summary>
    private sealed class HistoryReadComparer : IEqualityComparer<HistoryRead>
    {
        public static readonly HistoryReadComparer Instance = new();

        public bool Equals(HistoryRead? x, HistoryRead? y) =>
            x is not null && y is not null && x.Top == y.Top && x.IsComplete == y.IsComplete
            && x.Pushes.Select(push => push.Position).SequenceEqual(y.Pushes.Select(push => push.Position));

        public int GetHashCode(HistoryRead obj) => obj.Top.GetHashCode();
    }
}
