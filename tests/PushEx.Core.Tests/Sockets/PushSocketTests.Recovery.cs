using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;
using PushEx.History;
using PushEx.Instrumentation;
using PushEx.Pipeline;
using PushEx.Sockets;
using PushEx.Topics;
using PushEx.Tests.Infrastructure;

namespace PushEx.Tests.Sockets;

/// <summary>
/// Joins that recover from the topic's history (the backplane is a substitute that answers the history reads): the
/// reply, one "recovery" event, the missed pushes and those that arrived meanwhile, each once and in offset order.
/// </summary>
public sealed partial class PushSocketTests
{
    private const string JoinOkT = """["3","3","t","phx_reply",{"status":"ok","response":{}}]""";

    [Fact]
    public async Task Join_RecoverWithinTheHistory_ReplyRecoveryEventMissedPushesThenThoseHeldMeanwhile()
    {
        var read = HistoryReadFor("t", afterOffset: 3);
        var client = _node.Connect();

        var joining = client.SendTextAsync("""["3","3","t","phx_join",{"recover":{"epoch":"E","offset":3}}]""").AsTask();
        Assert.Equal([JoinOkT], await client.WaitForTextFramesAsync(1));

        // Pushes while the history is read: 5 is in what the read returns, 6 is not.
        Broadcast(Positioned("t", 5));
        Broadcast(Positioned("t", 6));
        read.SetResult(new HistoryRead(new StreamPosition("E", 5), true, [Positioned("t", 4), Positioned("t", 5)]));
        await joining.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(
            [
                JoinOkT,
                """["3",null,"t","recovery",{"recovered":true,"epoch":"E","offset":5,"missed":2}]""",
                Msg(4),
                Msg(5),
                Msg(6),
            ],
            await client.WaitForTextFramesAsync(5));
        Broadcast(Positioned("t", 7));
        Assert.Equal(Msg(7), (await client.WaitForTextFramesAsync(6))[5]);
    }

    [Fact]
    public async Task Join_Recovered_APushTheReplaySentThatArrivesLiveAfterwards_IsNotSentAgain()
    {
        var read = HistoryReadFor("t", afterOffset: 3);
        var client = _node.Connect();
        var joining = client.SendTextAsync("""["3","3","t","phx_join",{"recover":{"epoch":"E","offset":3}}]""").AsTask();
        await client.WaitForTextFramesAsync(1);

        // With Redis the read can see 5 before the node's pub/sub connection delivers it: it arrives once live.
        read.SetResult(new HistoryRead(new StreamPosition("E", 5), true, [Positioned("t", 4), Positioned("t", 5)]));
        await joining.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Broadcast(Positioned("t", 5));
        Broadcast(Positioned("t", 6));

        Assert.Equal(
            [
                JoinOkT,
                """["3",null,"t","recovery",{"recovered":true,"epoch":"E","offset":5,"missed":2}]""",
                Msg(4),
                Msg(5),
                Msg(6),
            ],
            await client.WaitForTextFramesAsync(5));
    }

    [Fact]
    public async Task Join_Recovered_TellsTheInstrumentationOfEachRecoveredPush_AndOfHeldOnesAsDelivered()
    {
        var instrumentation = Substitute.For<IPushInstrumentation>();
        var node = new SocketHarness(instrumentations: instrumentation);
        var read = new TaskCompletionSource<HistoryRead>(TaskCreationOptions.RunContinuationsAsynchronously);
        node.Backplane.ReadHistoryAsync("t", 3, Arg.Any<CancellationToken>()).Returns(new ValueTask<HistoryRead>(read.Task));
        var client = node.Connect();

        var joining = client.SendTextAsync("""["3","3","t","phx_join",{"recover":{"epoch":"E","offset":3}}]""").AsTask();
        await client.WaitForTextFramesAsync(1);
        var held = Positioned("t", 6);
        new LocalBroadcaster(node.Topics, node.Instrumentation, node.Metrics).Broadcast(held);
        read.SetResult(new HistoryRead(new StreamPosition("E", 5), true, [Positioned("t", 4), Positioned("t", 5)]));
        await joining.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);

        instrumentation.Received(2).Recovered(Arg.Any<Push>(), Arg.Any<InstrumentationContext>());
        instrumentation.Received(1).Delivered(held, Arg.Any<InstrumentationContext>());
    }

    [Fact]
    public async Task Join_RecoverFromAnotherEpoch_RecoveredFalse_AndOnlyLivePushes()
    {
        HistoryReadFor("t", afterOffset: 3).SetResult(new HistoryRead(new StreamPosition("F", 9), false, []));
        var client = _node.Connect();

        await client.SendTextAsync("""["3","3","t","phx_join",{"recover":{"epoch":"E","offset":3}}]""");
        Broadcast(Positioned("t", 10, epoch: "F"));

        Assert.Equal(
            [JoinOkT, """["3",null,"t","recovery",{"recovered":false,"epoch":"F","offset":9,"missed":null}]""", Msg(10, epoch: "F")],
            await client.WaitForTextFramesAsync(3));
    }

    [Fact]
    public async Task Join_HistoryNoLongerReachesBack_RecoveredFalse_WithTheCountMissed()
    {
        HistoryReadFor("t", afterOffset: 3).SetResult(new HistoryRead(new StreamPosition("E", 50), false, []));
        using var failed = new CounterRecorder(_node.Metrics.Meter, "pushex.recoveries.failed");
        var client = _node.Connect();

        await client.SendTextAsync("""["3","3","t","phx_join",{"recover":{"epoch":"E","offset":3}}]""");

        Assert.Equal(
            [JoinOkT, """["3",null,"t","recovery",{"recovered":false,"epoch":"E","offset":50,"missed":47}]"""],
            await client.WaitForTextFramesAsync(2));
        Assert.Equal(1, failed.Total);
    }

    [Fact]
    public async Task Join_NothingToRecoverFrom_NoRecoveryEvent_AndEveryPushHeldMeanwhileFollowsTheReply()
    {
        var read = HistoryReadFor("t", afterOffset: long.MaxValue);
        var client = _node.Connect();

        var joining = client.SendTextAsync("""["3","3","t","phx_join",{}]""").AsTask();
        await client.WaitForTextFramesAsync(1);
        Broadcast(Positioned("t", 8));
        Broadcast(Positioned("t", 9));
        read.SetResult(new HistoryRead(new StreamPosition("E", 8), false, []));
        await joining.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);

        // 8 is also in what the read saw, but it was pushed after the subscription began: the client gets it.
        Assert.Equal([JoinOkT, Msg(8), Msg(9)], await client.WaitForTextFramesAsync(3));
        await _node.Backplane.DidNotReceive().FindResumePositionAsync(Arg.Any<string>(), Arg.Any<string>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Join_SocketIdWithARecordedPosition_RecoversFromIt()
    {
        _node.Backplane.FindResumePositionAsync("user_socket:1", "t", Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult<StreamPosition?>(new StreamPosition("E", 3)));
        HistoryReadFor("t", afterOffset: 3).SetResult(new HistoryRead(new StreamPosition("E", 4), true, [Positioned("t", 4)]));
        using var recovered = new CounterRecorder(_node.Metrics.Meter, "pushex.pushes.recovered");
        var client = _node.Connect(socketId: "user_socket:1");

        await client.SendTextAsync("""["3","3","t","phx_join",{}]""");

        Assert.Equal(
            [JoinOkT, """["3",null,"t","recovery",{"recovered":true,"epoch":"E","offset":4,"missed":1}]""", Msg(4)],
            await client.WaitForTextFramesAsync(3));
        Assert.Equal(1, recovered.Total);
    }

    [Fact]
    public async Task Join_ExplicitRecover_WinsOverTheRecordedPosition()
    {
        _node.Backplane.FindResumePositionAsync("user_socket:1", "t", Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult<StreamPosition?>(new StreamPosition("E", 1)));
        HistoryReadFor("t", afterOffset: 4).SetResult(new HistoryRead(new StreamPosition("E", 4), true, []));
        var client = _node.Connect(socketId: "user_socket:1");

        await client.SendTextAsync("""["3","3","t","phx_join",{"recover":{"epoch":"E","offset":4}}]""");

        Assert.Equal(
            [JoinOkT, """["3",null,"t","recovery",{"recovered":true,"epoch":"E","offset":4,"missed":0}]"""],
            await client.WaitForTextFramesAsync(2));
        await _node.Backplane.DidNotReceive().FindResumePositionAsync(Arg.Any<string>(), Arg.Any<string>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Join_HistoryUnreachable_RecoveredFalse_AndTheSubscriptionGoesLive()
    {
        _node.Backplane.ReadHistoryAsync("t", 3, Arg.Any<CancellationToken>())
            .Returns<ValueTask<HistoryRead>>(_ => throw new PushEx.PubSub.BackplaneUnavailableException("Redis is down."));
        var client = _node.Connect();

        await client.SendTextAsync("""["3","3","t","phx_join",{"recover":{"epoch":"E","offset":3}}]""");
        Broadcast(Positioned("t", 9));

        Assert.Equal(
            [JoinOkT, """["3",null,"t","recovery",{"recovered":false,"epoch":null,"offset":0,"missed":null}]""", Msg(9)],
            await client.WaitForTextFramesAsync(3));
    }

    [Theory]
    [InlineData("""{"recover":"E:3"}""")]
    [InlineData("""{"recover":{"epoch":7,"offset":3}}""")]
    [InlineData("""{"recover":{"epoch":"E","offset":-1}}""")]
    [InlineData("""{"recover":{"epoch":"E","offset":1.5}}""")]
    [InlineData("""{"recover":{"epoch":"E","offset":null}}""")]
    [InlineData("""{"recover":{"epoch":"E","offset":"3"}}""")]
    [InlineData("""{"recover":{"epoch":"E","offset":[3]}}""")]
    public async Task Join_MalformedRecover_IsIgnored_AndTheJoinSucceeds(string payload)
    {
        HistoryReadFor("t", afterOffset: long.MaxValue).SetResult(new HistoryRead(new StreamPosition("E", 8), false, []));
        var client = _node.Connect();

        await client.SendTextAsync($$"""["3","3","t","phx_join",{{payload}}]""");
        Broadcast(Positioned("t", 9));

        Assert.Equal([JoinOkT, Msg(9)], await client.WaitForTextFramesAsync(2));
    }

    [Fact]
    public async Task Join_TopicWithoutHistory_ReadsNoHistory()
    {
        var node = new SocketHarness(options => options.History.Rules.Add(new TopicHistoryRule { Prefix = "live:", MaxPushes = 0 }));
        var client = node.Connect(socketId: "user_socket:1");

        await client.SendTextAsync("""["3","3","live:x","phx_join",{"recover":{"epoch":"E","offset":3}}]""");
        await client.WaitForTextFramesAsync(1);
        await client.Socket.OnClosedAsync();

        await node.Backplane.DidNotReceive().ReadHistoryAsync(Arg.Any<string>(), Arg.Any<long>(), Arg.Any<CancellationToken>());
        await node.Backplane.DidNotReceive().FindResumePositionAsync(Arg.Any<string>(), Arg.Any<string>(), Arg.Any<CancellationToken>());
        await node.Backplane.DidNotReceive().SaveResumePositionsAsync(Arg.Any<string>(), Arg.Any<IReadOnlyList<KeyValuePair<string, StreamPosition>>>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task OnClosed_SocketIdWithHistory_SavesTheLastPushWrittenOrWhereEachTopicStarted()
    {
        HistoryReadFor("t", afterOffset: long.MaxValue).SetResult(new HistoryRead(new StreamPosition("E", 5), false, []));
        HistoryReadFor("u", afterOffset: long.MaxValue).SetResult(new HistoryRead(new StreamPosition("G", 2), false, []));
        HistoryReadFor("never", afterOffset: long.MaxValue).SetResult(HistoryRead.None);
        var client = _node.Connect(socketId: "user_socket:1");
        await client.SendTextAsync("""["1","1","t","phx_join",{}]""");
        await client.SendTextAsync("""["2","2","u","phx_join",{}]""");
        await client.SendTextAsync("""["3","3","never","phx_join",{}]""");
        Broadcast(Positioned("t", 6));
        await client.WaitForTextFramesAsync(4);

        await client.Socket.OnClosedAsync();

        await _node.Backplane.Received(1).SaveResumePositionsAsync(
            "user_socket:1",
            Arg.Is<IReadOnlyList<KeyValuePair<string, StreamPosition>>>(positions => positions.OrderBy(position => position.Key).SequenceEqual(
                new KeyValuePair<string, StreamPosition>[] { new("never", new StreamPosition("", 0)), new("t", new StreamPosition("E", 6)), new("u", new StreamPosition("G", 2)) })),
            Arg.Any<CancellationToken>());
        Assert.Equal(0, _node.Sockets.Count);
    }

    [Fact]
    public async Task ServerInitiatedClose_SavesWhatWasWritten_BeforeTheCloseFrame_AndOnlyOnce()
    {
        HistoryReadFor("t", afterOffset: long.MaxValue).SetResult(new HistoryRead(new StreamPosition("E", 5), false, []));
        var saving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var saved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _node.Backplane.SaveResumePositionsAsync("user_socket:1", Arg.Any<IReadOnlyList<KeyValuePair<string, StreamPosition>>>(), Arg.Any<CancellationToken>())
            .Returns(_ =>
            {
                saving.TrySetResult();
                return new ValueTask(saved.Task);
            });
        var client = _node.Connect(socketId: "user_socket:1");
        await client.SendTextAsync("""["1","1","t","phx_join",{}]""");
        Broadcast(Positioned("t", 6));
        await client.WaitForTextFramesAsync(2);

        // A drain or a rebalance: the client may reconnect to another node the moment it sees the close frame.
        client.Socket.Close(SocketCloseCode.ServiceRestart, "service restart");
        await saving.Task.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(0, client.Transport.CloseCalls);
        saved.SetResult();
        Assert.Equal(SocketCloseCode.ServiceRestart, (await client.Transport.WaitForCloseAsync()).Code);
        await client.Socket.OnClosedAsync();

        await AssertSavedOnlyAsync(new StreamPosition("E", 6));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ServerInitiatedClose_WhileAFreshJoinReadsTheHistory_SavesWhereItsClientStood(bool pushWhileReading)
    {
        var read = HistoryReadFor("t", afterOffset: long.MaxValue);
        var client = _node.Connect(socketId: "user_socket:1");
        var joining = client.SendTextAsync("""["1","1","t","phx_join",{}]""").AsTask();
        await client.WaitForTextFramesAsync(1);

        // A drain's 1012 reaches the socket while its join still reads the history; a push may arrive meanwhile.
        if (pushWhileReading)
        {
            Broadcast(Positioned("t", 6));
        }

        // The read comes back only once the close has got as far as the record (or, were the record not to wait for
        // it, as far as the close frame).
        var top = new HistoryRead(new StreamPosition("E", pushWhileReading ? 6 : 5), false, []);
        _node.Logs.Logged = entry =>
        {
            if (entry.EventName == "ResumeRecordAwaitsJoin")
            {
                read.TrySetResult(top);
            }
        };
        client.Transport.BeforeClose = () =>
        {
            read.TrySetResult(top);
            return ValueTask.CompletedTask;
        };
        client.Socket.Close(SocketCloseCode.ServiceRestart, "service restart");
        await joining.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        await client.Transport.WaitForCloseAsync();
        await client.Socket.OnClosedAsync();

        // The client got nothing after its reply: it stands where the topic stood when it joined (5), so its next join
        // recovers every push from there, 6 included.
        await AssertSavedOnlyAsync(new StreamPosition("E", 5));
    }

    [Fact]
    public async Task ConnectionLostWhileAFreshJoinReadsTheHistory_WhereItsClientStoodIsStillSaved()
    {
        // A read that gives up when its token is cancelled, as the Redis adapter's does.
        var read = new TaskCompletionSource<HistoryRead>(TaskCreationOptions.RunContinuationsAsynchronously);
        _node.Backplane.ReadHistoryAsync("t", long.MaxValue, Arg.Any<CancellationToken>())
            .Returns(call => new ValueTask<HistoryRead>(read.Task.WaitAsync(call.Arg<CancellationToken>())));
        var client = _node.Connect(socketId: "user_socket:1");
        using var connection = new CancellationTokenSource();
        var joining = client.Socket.HandleFrameAsync("""["1","1","t","phx_join",{}]"""u8.ToArray(), isBinary: false, connection.Token).AsTask();
        await client.WaitForTextFramesAsync(1);
        Broadcast(Positioned("t", 6));

        // The fallback transport cancels the frame handler's token when its connection is lost; writes fail from then on.
        client.Transport.BeforeSend = _ => ValueTask.FromException(new IOException("connection lost"));
        await connection.CancelAsync();
        read.SetResult(new HistoryRead(new StreamPosition("E", 6), false, []));
        await joining.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        await client.Socket.OnClosedAsync();

        // 6 was held, never written: the client stood at 5.
        await AssertSavedOnlyAsync(new StreamPosition("E", 5));
    }

    [Fact]
    public async Task OnClosed_FramesDroppedByAnOverflow_SavesOnlyWhatWasWritten()
    {
        var node = new SocketHarness(options => options.SocketSendQueueLimit = 200);
        node.Backplane.ReadHistoryAsync("t", long.MaxValue, Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult(new HistoryRead(new StreamPosition("E", 5), false, [])));
        var client = node.Connect(socketId: "user_socket:1");
        await client.SendTextAsync("""["1","1","t","phx_join",{}]""");
        await client.WaitForTextFramesAsync(1);
        var stalled = client.Transport.StallWrites();

        // 6 goes to the writer (which stalls); 7 and 8 wait behind it until 8 overflows the queue and drops them.
        var broadcaster = new LocalBroadcaster(node.Topics, new InstrumentationHooks([], node.Time, NullLogger<InstrumentationHooks>.Instance), node.Metrics);
        broadcaster.Broadcast(Positioned("t", 6, padding: 60));
        await stalled.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        broadcaster.Broadcast(Positioned("t", 7, padding: 60));
        broadcaster.Broadcast(Positioned("t", 8, padding: 60));
        node.Time.Advance(TimeSpan.FromSeconds(6));
        await client.Socket.OnClosedAsync();

        await node.Backplane.Received(1).SaveResumePositionsAsync(
            "user_socket:1",
            Arg.Is<IReadOnlyList<KeyValuePair<string, StreamPosition>>>(positions => positions.Single().Value == new StreamPosition("E", 5)),
            Arg.Any<CancellationToken>());
    }

    // The socket of user_socket:1 saved one position, this one, once.
    private async Task AssertSavedOnlyAsync(StreamPosition position) =>
        await _node.Backplane.Received(1).SaveResumePositionsAsync(
            "user_socket:1",
            Arg.Is<IReadOnlyList<KeyValuePair<string, StreamPosition>>>(positions => positions.Single().Value == position),
            Arg.Any<CancellationToken>());

    private TaskCompletionSource<HistoryRead> HistoryReadFor(string topic, long afterOffset)
    {
        var read = new TaskCompletionSource<HistoryRead>(TaskCreationOptions.RunContinuationsAsynchronously);
        _node.Backplane.ReadHistoryAsync(topic, afterOffset, Arg.Any<CancellationToken>()).Returns(new ValueTask<HistoryRead>(read.Task));
        return read;
    }

    private void Broadcast(Push push) =>
        new LocalBroadcaster(_node.Topics, new InstrumentationHooks([], _node.Time, NullLogger<InstrumentationHooks>.Instance), _node.Metrics).Broadcast(push);

    private static Push Positioned(string topic, long offset, string epoch = "E", int padding = 0) =>
        new(topic, "e", Encoding.UTF8.GetBytes(padding == 0 ? offset.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"\"{new string('x', padding)}\""), 0, new StreamPosition(epoch, offset));

    private static string Msg(long offset, string epoch = "E") =>
        $$"""["3",null,"t","msg",{"data":{{offset}},"event":"e","offset":{{offset}},"epoch":"{{epoch}}"}]""";
}
