using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PushEx.History;
using PushEx.Instrumentation;
using PushEx.Pipeline;
using PushEx.PubSub;
using PushEx.Tests.Infrastructure;
using PushEx.Topics;

namespace PushEx.Tests.Pipeline;

public sealed class PushPipelineDrainTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task DrainAsync_UnderASteadyStream_ReturnsOnceThePushesAcceptedBeforeItAreBroadcast()
    {
        var adapter = new ScriptedPubSubAdapter();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holdLater = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long lastBeforeDrain = long.MaxValue / 2;
        adapter.OnPublish = async push =>
        {
            await gate.Task;
            if (Sequence(push) > Volatile.Read(ref lastBeforeDrain))
            {
                await holdLater.Task;
            }
        };
        await using var pipeline = CreatePipeline(adapter);

        // The load: a push every millisecond, to seven topics, until the test stops it (at most 5 000, at most 20 s).
        long published = 0;
        var streaming = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var laterAccepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var producer = Task.Run(
            async () =>
            {
                using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
                for (var sequence = 1L; sequence <= 5_000 && !stop.IsCancellationRequested; sequence++)
                {
                    Assert.Equal(PublishResult.Accepted, pipeline.TryPublish($"topic:{sequence % 7}", "e", Encoding.UTF8.GetBytes(sequence.ToString(CultureInfo.InvariantCulture))));
                    Volatile.Write(ref published, sequence);
                    if (sequence == 20)
                    {
                        streaming.TrySetResult();
                    }

                    if (sequence > Volatile.Read(ref lastBeforeDrain) + 10)
                    {
                        laterAccepted.TrySetResult();
                    }

                    await pace.WaitForNextTickAsync(CancellationToken.None);
                }
            },
            TestContext.Current.CancellationToken);
        await streaming.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

        var draining = pipeline.DrainAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        // The producer is one loop: a push it had not yet counted when the drain began is at most the next one.
        Volatile.Write(ref lastBeforeDrain, Volatile.Read(ref published) + 1);
        await laterAccepted.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        gate.SetResult();

        var left = await draining.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var pendingAfterwards = pipeline.Pending;
        await stop.CancelAsync();
        await producer.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        holdLater.SetResult();

        Assert.Equal(0, left);
        Assert.True(pendingAfterwards > 0, "the pushes accepted after the drain began were held, and should still be pending");
    }

    [Fact]
    public async Task DrainAsync_APushStaysHeld_ReturnsItsCountWhenItTimesOut()
    {
        var time = new FakeTimeProvider();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var adapter = new ScriptedPubSubAdapter { OnPublish = _ => hold.Task };
        await using var pipeline = CreatePipeline(adapter, time: time);
        Assert.Equal(PublishResult.Accepted, pipeline.TryPublish("held", "e", "1"u8.ToArray()));

        var draining = pipeline.DrainAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(draining.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, await draining.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        hold.SetResult();
    }

    [Fact]
    public async Task TryPublish_AfterClose_ReturnsShuttingDownAndCountsARefusal()
    {
        using var meters = new TestMeterFactory();
        var metrics = new PushMetrics(meters, new SocketRegistry(), new TopicRegistry());
        await using var pipeline = CreatePipeline(new ScriptedPubSubAdapter(), metrics: metrics);
        long refused = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter && instrument.Name == "pushex.pushes.refused")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref refused, value));
        listener.Start();

        Assert.Equal(0, pipeline.Close());

        Assert.True(pipeline.IsClosed);
        Assert.Equal(PublishResult.ShuttingDown, pipeline.TryPublish("t", "e", "1"u8.ToArray()));
        Assert.Equal(0, pipeline.Pending);
        Assert.Equal(1, Interlocked.Read(ref refused));
    }

    [Fact]
    public async Task DrainAsync_AfterClose_WaitsForEveryPushAcceptedBeforeIt()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var published = 0;
        var adapter = new ScriptedPubSubAdapter
        {
            OnPublish = async _ =>
            {
                await gate.Task;
                Interlocked.Increment(ref published);
            },
        };
        await using var pipeline = CreatePipeline(adapter);
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(PublishResult.Accepted, pipeline.TryPublish($"t:{i % 4}", "e", "1"u8.ToArray()));
        }

        Assert.Equal(30, pipeline.Close());
        var draining = pipeline.DrainAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.False(draining.IsCompleted);
        gate.SetResult();

        Assert.Equal(0, await draining.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(30, Volatile.Read(ref published));
        Assert.Equal(0, pipeline.Pending);
    }

    [Fact]
    public async Task Close_WhilePublishersRace_EveryAcceptedPushIsWaitedFor()
    {
        var published = 0;
        var adapter = new ScriptedPubSubAdapter
        {
            OnPublish = _ =>
            {
                Interlocked.Increment(ref published);
                return Task.CompletedTask;
            },
        };
        await using var pipeline = CreatePipeline(adapter, options => options.ProducerMaxBuffer = 1_000_000);
        var accepted = 0;
        var racing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var publishers = Enumerable.Range(0, 4).Select(publisher => Task.Run(
            () =>
            {
                // Each publisher stops at its first refusal: the pipeline only refuses once closed here.
                for (var i = 0; i < 200_000; i++)
                {
                    if (pipeline.TryPublish($"t:{publisher}:{i % 16}", "e", "1"u8.ToArray()) != PublishResult.Accepted)
                    {
                        return;
                    }

                    if (Interlocked.Increment(ref accepted) == 1_000)
                    {
                        racing.TrySetResult();
                    }
                }
            },
            TestContext.Current.CancellationToken)).ToArray();
        await racing.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

        pipeline.Close();
        var left = await pipeline.DrainAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var publishedWhenDrained = Volatile.Read(ref published);
        await Task.WhenAll(publishers).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(0, left);
        Assert.Equal(Volatile.Read(ref accepted), publishedWhenDrained);
    }

    [Fact]
    public async Task DisposeAsync_ABroadcastWaitsOnTheBackplane_CancelsItAndStopsTheWorkers()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var adapter = new ScriptedPubSubAdapter
        {
            OnPublishCancellable = async (_, cancellationToken) =>
            {
                started.TrySetResult();
                await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, cancellationToken);
            },
        };
        var pipeline = CreatePipeline(adapter);
        Assert.Equal(PublishResult.Accepted, pipeline.TryPublish("t", "e", "1"u8.ToArray()));
        Assert.Equal(PublishResult.Accepted, pipeline.TryPublish("t", "e", "2"u8.ToArray()));
        await started.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

        await pipeline.DisposeAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await pipeline.DisposeAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(0, pipeline.Pending);
        Assert.Equal(PublishResult.ShuttingDown, pipeline.TryPublish("t", "e", "3"u8.ToArray()));
    }

    private static long Sequence(Push push) => long.Parse(Encoding.UTF8.GetString(push.Data.Span), CultureInfo.InvariantCulture);

    private static PushPipeline CreatePipeline(
        IPubSubAdapter adapter,
        Action<PushExOptions>? configure = null,
        TimeProvider? time = null,
        PushMetrics? metrics = null)
    {
        var options = new PushExOptions();
        configure?.Invoke(options);
        time ??= TimeProvider.System;
        // Meters live as long as the test process unless the test brings its own; nothing listens unless a test does.
        metrics ??= new PushMetrics(new TestMeterFactory(), new SocketRegistry(), new TopicRegistry());
        var hooks = new InstrumentationHooks([], time, NullLogger<InstrumentationHooks>.Instance);
        return new PushPipeline(adapter, hooks, metrics, Options.Create(options), time, NullLogger<PushPipeline>.Instance);
    }

    /// <summary>An always-available adapter whose publish runs what the test says (until cancelled) and reports a listener.</summary>
    private sealed class ScriptedPubSubAdapter : IPubSubAdapter
    {
        public Func<Push, Task> OnPublish { get; set; } = _ => Task.CompletedTask;

        public Func<Push, CancellationToken, Task>? OnPublishCancellable { get; set; }

        public bool IsAvailable => true;

        public bool IsDegraded => false;

        public bool IsUnavailableFor(string topic) => false;

        public async ValueTask<bool> PublishAsync(Push push, CancellationToken cancellationToken)
        {
            // Disposing the pipeline cancels a publish that is still held, so a failed test never hangs.
            await (OnPublishCancellable?.Invoke(push, cancellationToken) ?? OnPublish(push)).WaitAsync(cancellationToken);
            return true;
        }

        public ValueTask<int> DisconnectAsync(string socketId, CancellationToken cancellationToken) => ValueTask.FromResult(0);

        public ValueTask SubscribeAsync(string topic, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void Unsubscribe(string topic)
        {
        }

        public ValueTask<HistoryRead> ReadHistoryAsync(string topic, long afterOffset, CancellationToken cancellationToken) => ValueTask.FromResult(HistoryRead.None);

        public ValueTask SaveResumePositionsAsync(string socketId, IReadOnlyList<KeyValuePair<string, StreamPosition>> positions, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<StreamPosition?> FindResumePositionAsync(string socketId, string topic, CancellationToken cancellationToken) => ValueTask.FromResult<StreamPosition?>(null);
    }
}
