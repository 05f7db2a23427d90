using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
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
        var pipeline = CreatePipeline(adapter);

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
        var pipeline = CreatePipeline(adapter, time: time);
        Assert.Equal(PublishResult.Accepted, pipeline.TryPublish("held", "e", "1"u8.ToArray()));

        var draining = pipeline.DrainAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(draining.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, await draining.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        hold.SetResult();
    }

    private static long Sequence(Push push) => long.Parse(Encoding.UTF8.GetString(push.Data.Span), CultureInfo.InvariantCulture);

    private static PushPipeline CreatePipeline(
        IPubSubAdapter adapter,
        Action<PushExOptions>? configure = null,
        TimeProvider? time = null)
    {
        var options = new PushExOptions();
        configure?.Invoke(options);
        time ??= TimeProvider.System;
        // Meters live as long as the test process; nothing listens to them unless a test does.
        var metrics = new PushMetrics(new TestMeterFactory(), new SocketRegistry(), new TopicRegistry());
        var hooks = new InstrumentationHooks([], time, NullLogger<InstrumentationHooks>.Instance);
        return new PushPipeline(adapter, hooks, metrics, Options.Create(options), time, NullLogger<PushPipeline>.Instance);
    }

    /// <summary>An always-available adapter whose publish runs what the test says and reports a listener.</summary>
    private sealed class ScriptedPubSubAdapter : IPubSubAdapter
    {
        public Func<Push, Task> OnPublish { get; set; } = _ => Task.CompletedTask;

        public bool IsAvailable => true;

        public async ValueTask<bool> PublishAsync(Push push, CancellationToken cancellationToken)
        {
            await OnPublish(push);
            return true;
        }

        public ValueTask<int> DisconnectAsync(string socketId, CancellationToken cancellationToken) => ValueTask.FromResult(0);

        public ValueTask SubscribeAsync(string topic, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void Unsubscribe(string topic)
        {
        }
    }
}
