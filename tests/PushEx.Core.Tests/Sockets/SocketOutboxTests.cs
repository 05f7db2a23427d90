using System.Diagnostics.Metrics;
using System.Text;
using PushEx.Sockets;
using PushEx.Tests.Infrastructure;

namespace PushEx.Tests.Sockets;

public sealed class SocketOutboxTests
{
    private readonly FakeSocketTransport _transport = new();
    private SocketHarness _node = new();

    [Fact]
    public async Task TryEnqueue_ManyFrames_WrittenInOrder()
    {
        var outbox = CreateOutbox();
        var expected = Enumerable.Range(0, 200).Select(i => $"frame-{i}").ToArray();

        foreach (var text in expected)
        {
            Assert.True(outbox.TryEnqueue(Text(text)));
        }

        Assert.Equal(expected, await _transport.WaitForTextFramesAsync(expected.Length));
        Assert.False(outbox.Completion.IsCompleted);
    }

    [Fact]
    public async Task TryEnqueue_AfterWriterWentIdle_WriterRestarts()
    {
        var outbox = CreateOutbox();
        outbox.TryEnqueue(Text("one"));
        await _transport.WaitForFramesAsync(1);

        outbox.TryEnqueue(Text("two"));

        Assert.Equal(["one", "two"], await _transport.WaitForTextFramesAsync(2));
    }

    [Fact]
    public async Task TryEnqueue_BinaryFrame_KeepsBinaryFlag()
    {
        var outbox = CreateOutbox();

        outbox.TryEnqueue(new OutboundFrame(new byte[] { 0x02, 0x01 }, isBinary: true));

        var frame = Assert.Single(await _transport.WaitForFramesAsync(1));
        Assert.True(frame.IsBinary);
        Assert.Equal([0x02, 0x01], frame.Data);
    }

    [Fact]
    public async Task TryEnqueue_PrefixAndBody_WrittenAsOneFrame()
    {
        var outbox = CreateOutbox();

        outbox.TryEnqueue(new OutboundFrame("[\"3\","u8.ToArray(), "null,\"t\",\"msg\",{}]"u8.ToArray(), IsBinary: false));

        Assert.Equal(["""["3",null,"t","msg",{}]"""], await _transport.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task TryEnqueue_OverByteLimit_DropsQueueAndClosesWithTryAgainLater()
    {
        var outbox = CreateOutbox(maxQueuedBytes: 10);
        var (entered, release) = HoldFirstSend();
        Assert.True(outbox.TryEnqueue(Text("AAAA")));
        await entered.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);

        // The frame being written no longer counts; 6 queued bytes fit, 5 more do not.
        Assert.True(outbox.TryEnqueue(Text("BBBBBB")));
        Assert.False(outbox.TryEnqueue(Text("CCCCC")));
        Assert.True(outbox.IsClosing);
        Assert.False(outbox.TryEnqueue(Text("D")));
        release.SetResult();

        var close = await _transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.TryAgainLater, close.Code);
        Assert.Equal(1, close.FramesBefore);
        await outbox.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(["AAAA"], _transport.Frames.Select(frame => frame.Text));
    }

    [Fact]
    public async Task TryEnqueue_OverflowWhileTheWriteNeverEnds_DropsTheConnectionAfterTheGrace()
    {
        var outbox = CreateOutbox(maxQueuedBytes: 10);
        var (entered, _) = HoldFirstSend();
        Assert.True(outbox.TryEnqueue(Text("AAAA")));
        await entered.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.True(outbox.TryEnqueue(Text("BB")));
        Assert.False(outbox.TryEnqueue(Text("CCCCCCCCCCCC")));

        // A client that reads nothing keeps even the close frame from going out.
        _node.Time.Advance(SocketOutbox.CloseWriteTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(_transport.Aborted.IsCompleted);
        _node.Time.Advance(TimeSpan.FromMilliseconds(1));

        await _transport.Aborted.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        await outbox.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task TryEnqueue_OverByteLimit_CountsASlowConsumer()
    {
        var outbox = CreateOutbox(maxQueuedBytes: 4);
        long counted = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == _node.Metrics.Meter && instrument.Name == "pushex.sockets.slow_consumers")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref counted, value));
        listener.Start();
        var (entered, _) = HoldFirstSend();
        outbox.TryEnqueue(Text("first"));
        await entered.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.True(outbox.TryEnqueue(Text("wait")));

        Assert.False(outbox.TryEnqueue(Text("too long")));

        Assert.Equal(1, Interlocked.Read(ref counted));
    }

    [Fact]
    public async Task TryEnqueue_ExactlyAtByteLimit_Accepted()
    {
        var outbox = CreateOutbox(maxQueuedBytes: 10);
        var (entered, release) = HoldFirstSend();
        outbox.TryEnqueue(Text("first"));
        await entered.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.True(outbox.TryEnqueue(Text("x")));

        Assert.True(outbox.TryEnqueue(Text("123456789")));
        Assert.False(outbox.IsClosing);
        release.SetResult();

        Assert.Equal(["first", "x", "123456789"], await _transport.WaitForTextFramesAsync(3));
    }

    [Fact]
    public async Task TryEnqueue_PrefixCountsAgainstByteLimit()
    {
        var outbox = CreateOutbox(maxQueuedBytes: 10);
        var (entered, release) = HoldFirstSend();
        outbox.TryEnqueue(Text("first"));
        await entered.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.True(outbox.TryEnqueue(Text("x")));

        // 1 waiting + 6 + 4 = 11: over the limit only because the prefix counts.
        Assert.False(outbox.TryEnqueue(new OutboundFrame(new byte[6], new byte[4], IsBinary: false)));
        release.SetResult();

        Assert.Equal(SocketCloseCode.TryAgainLater, (await _transport.WaitForCloseAsync()).Code);
    }

    [Fact]
    public async Task TryEnqueue_FrameOverLimitIntoEmptyQueue_WrittenAndNotClosed()
    {
        var outbox = CreateOutbox(maxQueuedBytes: 4);

        // One big push alone is not a slow consumer: it must not disconnect every subscriber at once.
        Assert.True(outbox.TryEnqueue(Text("12345")));

        Assert.Equal(["12345"], await _transport.WaitForTextFramesAsync(1));
        Assert.False(outbox.IsClosing);
        Assert.Equal(0, _transport.CloseCalls);
    }

    [Fact]
    public async Task TryEnqueue_FrameOverLimitWhileOnlyAFrameIsBeingWritten_Accepted()
    {
        var outbox = CreateOutbox(maxQueuedBytes: 4);
        var (entered, release) = HoldFirstSend();
        Assert.True(outbox.TryEnqueue(Text("AAAA")));
        await entered.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);

        // The frame being written is not counted; nothing waits, so the queue is empty.
        Assert.True(outbox.TryEnqueue(Text("BBBBBB")));
        Assert.False(outbox.IsClosing);
        release.SetResult();

        Assert.Equal(["AAAA", "BBBBBB"], await _transport.WaitForTextFramesAsync(2));
    }

    [Fact]
    public async Task TryEnqueue_FrameOverLimitWhileAFrameWaits_ClosesWithTryAgainLater()
    {
        var outbox = CreateOutbox(maxQueuedBytes: 4);
        var (entered, release) = HoldFirstSend();
        Assert.True(outbox.TryEnqueue(Text("AAAA")));
        await entered.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.True(outbox.TryEnqueue(Text("B")));

        Assert.False(outbox.TryEnqueue(Text("CCCCC")));
        Assert.True(outbox.IsClosing);
        release.SetResult();

        var close = await _transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.TryAgainLater, close.Code);
        Assert.Equal(1, close.FramesBefore);
    }

    [Fact]
    public async Task Close_WithQueuedFrames_WritesThemBeforeTheClose()
    {
        var outbox = CreateOutbox();
        var (entered, release) = HoldFirstSend();
        outbox.TryEnqueue(Text("one"));
        await entered.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        outbox.TryEnqueue(Text("two"));
        outbox.TryEnqueue(Text("three"));

        outbox.Close(SocketCloseCode.GoingAway, "idle timeout");
        Assert.True(outbox.IsClosing);
        Assert.False(outbox.TryEnqueue(Text("four")));
        release.SetResult();

        var close = await _transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.GoingAway, close.Code);
        Assert.Equal("idle timeout", close.Reason);
        Assert.Equal(3, close.FramesBefore);
        await outbox.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(["one", "two", "three"], _transport.Frames.Select(frame => frame.Text));
    }

    [Theory]
    [InlineData(1001, "idle timeout")]
    [InlineData(1012, "service restart")]
    [InlineData(1000, "disconnected")]
    public async Task Close_BehindAWriteThatNeverEnds_AbortsAfterTheCloseWriteTimeoutAndCompletes(int code, string reason)
    {
        var outbox = CreateOutbox();
        var writing = _transport.StallWrites();
        Assert.True(outbox.TryEnqueue(Text("one")));
        await writing.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);

        // A client that stopped reading keeps the close frame behind its write for good.
        outbox.Close((SocketCloseCode)code, reason);
        _node.Time.Advance(SocketOutbox.CloseWriteTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(_transport.Aborted.IsCompleted);
        _node.Time.Advance(TimeSpan.FromMilliseconds(1));

        await _transport.Aborted.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        await outbox.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(0, _transport.CloseCalls);
    }

    [Fact]
    public async Task Close_CloseFrameWriteNeverEnds_AbortsAfterTheCloseWriteTimeoutAndCompletes()
    {
        var outbox = CreateOutbox();
        var closing = _transport.StallClose();

        outbox.Close(SocketCloseCode.GoingAway, "idle timeout");
        await closing.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        _node.Time.Advance(SocketOutbox.CloseWriteTimeout);

        await _transport.Aborted.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        await outbox.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Close_WrittenInTime_NeverAborted()
    {
        var outbox = CreateOutbox();

        outbox.Close(SocketCloseCode.GoingAway, "idle timeout");
        await outbox.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        _node.Time.Advance(SocketOutbox.CloseWriteTimeout * 2);

        Assert.False(_transport.Aborted.IsCompleted);
    }

    [Fact]
    public async Task Close_Twice_OnlyFirstCloseSent()
    {
        var outbox = CreateOutbox();

        outbox.Close(SocketCloseCode.ServiceRestart, "drain");
        outbox.Close(SocketCloseCode.ProtocolError, "malformed frame");

        await outbox.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        var close = await _transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.ServiceRestart, close.Code);
        Assert.Equal(1, _transport.CloseCalls);
    }

    [Fact]
    public async Task Completion_BeforeClose_NotCompleted()
    {
        var outbox = CreateOutbox();
        outbox.TryEnqueue(Text("one"));
        await _transport.WaitForFramesAsync(1);

        Assert.False(outbox.Completion.IsCompleted);
        Assert.False(outbox.IsClosing);
    }

    [Fact]
    public async Task TryEnqueue_SendThrows_AbortsAndCompletes()
    {
        var outbox = CreateOutbox();
        _transport.BeforeSend = _ => throw new IOException("connection reset");

        Assert.True(outbox.TryEnqueue(Text("one")));

        await _transport.Aborted.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        await outbox.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.True(outbox.IsClosing);
        Assert.False(outbox.TryEnqueue(Text("two")));
        Assert.Equal(0, _transport.CloseCalls);
    }

    [Fact]
    public async Task TryEnqueue_SendThrowsWithFramesQueued_QueueDropped()
    {
        var outbox = CreateOutbox();
        var calls = 0;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fail = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _transport.BeforeSend = async _ =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                entered.SetResult();
                await fail.Task;
                throw new IOException("connection reset");
            }
        };
        outbox.TryEnqueue(Text("one"));
        await entered.Task.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        outbox.TryEnqueue(Text("two"));
        outbox.Close(SocketCloseCode.GoingAway, "bye");

        fail.SetResult();

        await outbox.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        await _transport.Aborted.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(1, Volatile.Read(ref calls));
        Assert.Empty(_transport.Frames);
        Assert.Equal(0, _transport.CloseCalls);
    }

    [Fact]
    public async Task Close_CloseThrows_AbortsAndCompletes()
    {
        var outbox = CreateOutbox();
        _transport.BeforeClose = () => throw new IOException("connection reset");

        outbox.Close(SocketCloseCode.GoingAway, "bye");

        await _transport.Aborted.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        await outbox.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task TryEnqueue_ConcurrentProducers_EveryFrameWrittenOnceAndEachProducerInOrder()
    {
        var outbox = CreateOutbox();
        const int Producers = 4;
        const int PerProducer = 250;

        await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(
            () =>
            {
                for (var i = 0; i < PerProducer; i++)
                {
                    Assert.True(outbox.TryEnqueue(Text($"{p}:{i}")));
                }
            },
            TestContext.Current.CancellationToken)));

        var frames = await _transport.WaitForTextFramesAsync(Producers * PerProducer);
        for (var p = 0; p < Producers; p++)
        {
            var prefix = $"{p}:";
            Assert.Equal(
                Enumerable.Range(0, PerProducer).Select(i => $"{p}:{i}"),
                frames.Where(frame => frame.StartsWith(prefix, StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task FramesQueuedWhileAWriteIsInProgress_GoOutWithOneFlush()
    {
        var outbox = CreateOutbox();
        var (entered, release) = HoldFirstSend();
        outbox.TryEnqueue(Text("first"));
        await entered.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        for (var i = 0; i < 5; i++)
        {
            outbox.TryEnqueue(Text($"queued-{i}"));
        }

        release.SetResult();

        // A close is written after the flush of what was queued before it, so once it is out the flushes are known.
        outbox.Close(SocketCloseCode.GoingAway, "bye");
        await _transport.WaitForCloseAsync();

        // The first frame and the five queued behind it are one batch: one flush after all six, none between.
        Assert.Equal([6], _transport.Flushes);
    }

    [Fact]
    public async Task TransportThatWritesInline_TheFrameIsWrittenOnTheQueuingThread()
    {
        _transport.WritesInline = true;
        var outbox = CreateOutbox();

        Assert.True(outbox.TryEnqueue(Text("now")));

        // Written and flushed before TryEnqueue returned, on this thread: no pool thread per socket.
        Assert.Equal([Environment.CurrentManagedThreadId], _transport.WritingThreads);
        Assert.Equal([1], _transport.Flushes);
        Assert.Equal(["now"], await _transport.WaitForTextFramesAsync(1));
    }

    // An outbox of its own node (whose options carry the limit), with no socket above it.
    private SocketOutbox CreateOutbox(int maxQueuedBytes = 1024 * 1024)
    {
        _node = new SocketHarness(options => options.SocketSendQueueLimit = maxQueuedBytes);
        return new SocketOutbox(_transport, _node.Services, owner: null);
    }

    // Holds the first write inside SendAsync until released, so a test can fill the queue behind it.
    private (Task Entered, TaskCompletionSource Release) HoldFirstSend()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        _transport.BeforeSend = async _ =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                entered.SetResult();
                await release.Task;
            }
        };
        return (entered.Task, release);
    }

    private static OutboundFrame Text(string text) => new(Encoding.UTF8.GetBytes(text), isBinary: false);
}
