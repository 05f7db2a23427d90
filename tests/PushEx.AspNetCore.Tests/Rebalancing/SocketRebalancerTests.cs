using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using PushEx.AspNetCore.Rebalancing;
using PushEx.AspNetCore.Shutdown;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Protocol;
using PushEx.PubSub;
using PushEx.Sockets;

namespace PushEx.AspNetCore.Tests.Rebalancing;

/// <summary>
/// The rebalancer's rounds on a fake clock, against a substituted <see cref="IClusterLoad"/> and real sockets (on
/// substituted transports). The clock only moves once the rebalancer waits on it, so every close happens at the time
/// it was planned for.
/// </summary>
public sealed class SocketRebalancerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Round_ExcessWithinRateBound_ClosesExactlyTheExcessWith1012()
    {
        // 100 here, 60 on the other node: the average is 80, so 20 go; the clients land on the other node.
        await using var node = new Node(sockets: 100, options => options.MaxClosesPerSecond = 50);
        node.OthersHoldTheRestOf(160);
        await node.StartAsync();

        await node.RunUntilReportsAsync(4);

        Assert.Equal(20, node.Closed);
        Assert.Equal(20, node.RebalancedMetric);
        Assert.All(node.ClosingSockets, socket => Assert.Equal(SocketCloseCode.ServiceRestart, socket.Code));
        Assert.Equal([100, 80, 80, 80], node.Reported);
    }

    [Fact]
    public async Task Round_ExcessAboveRateBound_ClosesAtMostMaxClosesPerSecondTimesIntervalPerRound()
    {
        // 200 here, none elsewhere: 100 should go, but a round may close only 10 per second × 1 s.
        await using var node = new Node(sockets: 200, options => options.MaxClosesPerSecond = 10);
        node.OthersHold(0);
        await node.StartAsync();

        for (var round = 1; round <= 3; round++)
        {
            await node.RunUntilReportsAsync(round + 1);
            Assert.Equal(10 * round, node.Closed);
        }

        // One close per 100 ms slot, so any 1 s window of the fake clock overlaps at most 11 slots: the rate, plus the
        // slot a window cuts at its start.
        var times = node.CloseTimes;
        Assert.All(times, start => Assert.True(times.Count(t => t >= start && t < start + TimeSpan.FromSeconds(1)) <= 11, $"more than 11 closes in the second from {start}"));
    }

    [Fact]
    public async Task Round_SheddingCutShortByTheRateBound_GoesOnDownToTheAverage()
    {
        // 95 here, 65 there: 15 should go, 10 may per round. After the first round 85 is within the tolerance of the
        // average (80), but the node goes on: stopping there would leave the other node 5 short.
        await using var node = new Node(sockets: 95, options => options.MaxClosesPerSecond = 10);
        node.OthersHoldTheRestOf(160);
        await node.StartAsync();

        await node.RunUntilReportsAsync(4);

        Assert.Equal(15, node.Closed);
        Assert.Equal([95, 85, 80, 80], node.Reported);
    }

    [Fact]
    public async Task Round_Sheds_OneCloseInEachSlotOfTheInterval()
    {
        // 10 closes over 1 s: one in each 100 ms slot, at a random point within it.
        await using var node = new Node(sockets: 30, options => options.MaxClosesPerSecond = 10);
        node.OthersHold(0, 0);
        await node.StartAsync();
        await node.RunUntilReportsAsync(1);

        var slot = TimeSpan.FromMilliseconds(100);
        for (var i = 1; i <= 10; i++)
        {
            await node.StepAsync(slot);
            Assert.Equal(i, node.Closed);
        }

        var offsets = node.CloseTimes.Select(time => time - node.Started).ToList();
        Assert.Equal(10, offsets.Distinct().Count());
        Assert.All(offsets.Select((offset, i) => (offset, i)), pair => Assert.InRange(pair.offset, slot * pair.i, slot * (pair.i + 1)));
    }

    [Fact]
    public async Task Round_AfterANodeJoined_WaitsUntilTheSameNodesReportedThreeRounds()
    {
        // Balanced with one other node; then an empty node joins (a restart during a deploy, or a scale-out).
        await using var node = new Node(sockets: 100, options => options.MaxClosesPerSecond = 50);
        var rounds = 0;
        node.Load.ReportAsync(Arg.Any<int>(), Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult(true));
        node.Load.ReadOthersAsync(Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>()).Returns(_ =>
            ValueTask.FromResult<IReadOnlyList<NodeLoad>?>(++rounds == 1 ? [new NodeLoad("a", 100)] : [new NodeLoad("a", 100), new NodeLoad("b", 0)]));
        await node.StartAsync();

        await node.RunUntilReportsAsync(3);
        Assert.Equal(0, node.Closed);
        await node.RunUntilReportsAsync(5);

        Assert.Equal([100, 100, 100, 100], node.Reported[..4]);
        Assert.Equal(33, node.Closed);
    }

    [Fact]
    public async Task Round_WithinTolerance_ClosesNothing()
    {
        // 109 against an average of 100.5: within 10 %.
        await using var node = new Node(sockets: 109, options => options.Tolerance = 0.10);
        node.OthersHold(92);
        await node.StartAsync();

        await node.RunUntilReportsAsync(3);

        Assert.Equal(0, node.Closed);
    }

    [Fact]
    public async Task Round_AloneInTheCluster_ClosesNothing()
    {
        await using var node = new Node(sockets: 50);
        node.OthersHold();
        await node.StartAsync();

        await node.RunUntilReportsAsync(3);

        Assert.Equal(0, node.Closed);
    }

    [Fact]
    public async Task Round_WhileDraining_ReportsAndClosesNothing()
    {
        await using var node = new Node(sockets: 100);
        node.OthersHold(0);
        node.Drain.TryBegin();
        await node.StartAsync();

        await node.StepAsync(Interval * 3);

        Assert.Equal(0, node.Closed);
        await node.Load.DidNotReceive().ReportAsync(Arg.Any<int>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Round_DrainBeginsMidRound_StopsClosing()
    {
        await using var node = new Node(sockets: 100, options => options.MaxClosesPerSecond = 10);
        node.OthersHold(0);
        await node.StartAsync();
        await node.RunUntilReportsAsync(1);
        await node.StepAsync(TimeSpan.FromMilliseconds(300));
        var before = node.Closed;

        node.Drain.TryBegin();
        await node.StepAsync(Interval * 3);

        Assert.Equal(before, node.Closed);
    }

    [Fact]
    public async Task Round_CountsNotShared_ClosesNothing()
    {
        await using var node = new Node(sockets: 100);
        node.Load.ReportAsync(Arg.Any<int>(), Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult(true));
        node.Load.ReadOthersAsync(Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult<IReadOnlyList<NodeLoad>?>(null));
        await node.StartAsync();

        await node.RunUntilReportsAsync(3);

        Assert.Equal(0, node.Closed);
    }

    [Fact]
    public async Task Disabled_NeverTouchesTheClusterLoad()
    {
        await using var node = new Node(sockets: 100, options => options.Enabled = false);
        node.OthersHold(0);
        await node.StartAsync();

        node.Time.Advance(Interval * 5);
        await node.StopAsync();

        Assert.Equal(0, node.Closed);
        Assert.Empty(node.Load.ReceivedCalls());
    }

    [Fact]
    public async Task ApplicationStopping_RemovesTheNodesCountAndEndsTheRounds()
    {
        await using var node = new Node(sockets: 10);
        node.OthersHold(10);
        await node.StartAsync();
        await node.RunUntilReportsAsync(1);

        node.Lifetime.StopApplication();
        await Eventually.TrueAsync(() => node.Load.ReceivedCalls().Any(call => call.GetMethodInfo().Name == nameof(IClusterLoad.LeaveAsync)), "the node left");
        node.Time.Advance(Interval * 3);

        Assert.Single(node.Reported);
    }

    [Fact]
    public async Task Start_EnabledWithoutRedis_FailsNamingTheMissingBackplane()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => PushExTestHost.StartAsync(options => options.Rebalance.Enabled = true));

        Assert.Contains("PushEx:Rebalance:Enabled needs the Redis backplane", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>One node's rebalancer with <c>sockets</c> open sockets, a stepped fake clock and a substituted cluster.</summary>
    private sealed class Node : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly MeterListener _listener = new();
        private readonly List<DateTimeOffset> _closeTimes = [];
        private readonly List<(PushSocket Socket, ISocketTransport Transport)> _sockets = [];
        private long _rebalanced;

        public Node(int sockets, Action<RebalanceOptions>? configure = null)
        {
            var services = new ServiceCollection();
            services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
            services.AddLogging();
            services.AddSingleton<IHostApplicationLifetime>(Lifetime);
            services.AddSingleton(Substitute.For<ISocketHandler>());
            services.AddSingleton(Load);
            services.AddPushEx(options =>
            {
                options.Rebalance.Enabled = true;
                options.Rebalance.Interval = Interval;
                configure?.Invoke(options.Rebalance);
            });
            _services = services.BuildServiceProvider();

            // The sockets keep the system clock (their close deadlines); only the rebalancer runs on the stepped one.
            Rebalancer = ActivatorUtilities.CreateInstance<SocketRebalancer>(_services, Time, Load, new Random(12));
            Drain = _services.GetRequiredService<DrainState>();
            var socketServices = _services.GetRequiredService<SocketServices>();
            for (var i = 0; i < sockets; i++)
            {
                var transport = Substitute.For<ISocketTransport>();
                var socket = new PushSocket(socketServices, transport, V2JsonSerializer.Instance, new Dictionary<string, object?>(), socketId: null, presenceIdentifier: "anonymous");
                socket.Open();
                _sockets.Add((socket, transport));
            }

            var factory = _services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == "pushex.sockets.rebalanced")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, measurement, _, _) =>
            {
                lock (_closeTimes)
                {
                    _rebalanced += measurement;
                    _closeTimes.Add(Time.GetUtcNow());
                }
            });
            _listener.Start();
        }

        public SteppedTimeProvider Time { get; } = new();

        public IClusterLoad Load { get; } = Substitute.For<IClusterLoad>();

        public ApplicationLifetime Lifetime { get; } = new(NullLogger<ApplicationLifetime>.Instance);

        public SocketRebalancer Rebalancer { get; }

        public DrainState Drain { get; }

        public DateTimeOffset Started { get; private set; }

        /// <summary>Sockets the rebalancer closed (each is closing, not yet gone: its transport is a substitute).</summary>
        public int Closed => _sockets.Count(pair => pair.Socket.IsClosing);

        public long RebalancedMetric
        {
            get
            {
                lock (_closeTimes)
                {
                    return _rebalanced;
                }
            }
        }

        public IReadOnlyList<DateTimeOffset> CloseTimes
        {
            get
            {
                lock (_closeTimes)
                {
                    return [.. _closeTimes];
                }
            }
        }

        public IEnumerable<(SocketCloseCode Code, string Reason)> ClosingSockets =>
            _sockets.Where(pair => pair.Socket.IsClosing).Select(pair => CloseOf(pair.Transport));

        /// <summary>The counts this node reported, in order.</summary>
        public List<int> Reported =>
        [
            .. Load.ReceivedCalls()
                .Where(call => call.GetMethodInfo().Name == nameof(IClusterLoad.ReportAsync))
                .Select(call => (int)call.GetArguments()[0]!),
        ];

        /// <summary>The other nodes report these counts, whatever happens here.</summary>
        public void OthersHold(params int[] counts)
        {
            Load.ReportAsync(Arg.Any<int>(), Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult(true));
            Load.ReadOthersAsync(Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>()).Returns(
                ValueTask.FromResult<IReadOnlyList<NodeLoad>?>([.. counts.Select((count, i) => new NodeLoad($"node{i}", count))]));
        }

        /// <summary>One other node, which holds whatever this node's last report leaves of <paramref name="total"/> clients.</summary>
        public void OthersHoldTheRestOf(int total)
        {
            Load.ReportAsync(Arg.Any<int>(), Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult(true));
            Load.ReadOthersAsync(Arg.Any<TimeSpan>(), Arg.Any<CancellationToken>()).Returns(_ =>
                ValueTask.FromResult<IReadOnlyList<NodeLoad>?>([new NodeLoad("other", total - Reported[^1])]));
        }

        public async Task StartAsync()
        {
            Started = Time.GetUtcNow();
            await Rebalancer.StartAsync(CancellationToken.None);
        }

        public async Task StopAsync() => await Rebalancer.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        /// <summary>Moves the clock in 50 ms steps until the rebalancer has reported <paramref name="reports"/> times.</summary>
        public async Task RunUntilReportsAsync(int reports)
        {
            // The rebalancer reports before it waits, so once it waits the count is final for now.
            var deadline = Started + (Interval * (reports + 2));
            while (true)
            {
                await Time.WaitUntilWaitingAsync();
                if (Reported.Count >= reports)
                {
                    return;
                }

                Assert.True(Time.GetUtcNow() < deadline, $"the rebalancer reported {Reported.Count} times, not {reports}, by {Time.GetUtcNow() - Started}");
                Time.Advance(TimeSpan.FromMilliseconds(50));
            }
        }

        /// <summary>Once the rebalancer waits on the clock, moves it by <paramref name="step"/>, and waits until it waits again.</summary>
        public async Task StepAsync(TimeSpan step)
        {
            await Time.WaitUntilWaitingAsync();
            Time.Advance(step);
            await Time.WaitUntilWaitingAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            await Rebalancer.DisposeAsync();
            _listener.Dispose();
            await _services.DisposeAsync();
        }

        private static (SocketCloseCode, string) CloseOf(ISocketTransport transport)
        {
            var call = transport.ReceivedCalls().Single(call => call.GetMethodInfo().Name == nameof(ISocketTransport.CloseAsync));
            return ((SocketCloseCode)call.GetArguments()[0]!, (string)call.GetArguments()[1]!);
        }
    }

    /// <summary>A fake clock that knows whether anyone waits on it: a timer is pending (made, not yet fired or disposed).</summary>
    private sealed class SteppedTimeProvider() : FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero))
    {
        private int _pending;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new TrackedTimer(this);
            Interlocked.Increment(ref _pending);
            timer.Inner = base.CreateTimer(
                static state =>
                {
                    var (tracked, callback, inner) = ((TrackedTimer, TimerCallback, object?))state!;
                    tracked.Done();
                    callback(inner);
                },
                (timer, callback, state),
                dueTime,
                period);
            return timer;
        }

        public Task WaitUntilWaitingAsync() =>
            Eventually.TrueAsync(() => Volatile.Read(ref _pending) > 0, "the rebalancer waits on its clock", TimeSpan.FromSeconds(10));

        private sealed class TrackedTimer(SteppedTimeProvider owner) : ITimer
        {
            private int _done;

            public ITimer Inner { get; set; } = null!;

            public void Done()
            {
                if (Interlocked.Exchange(ref _done, 1) == 0)
                {
                    Interlocked.Decrement(ref owner._pending);
                }
            }

            public bool Change(TimeSpan dueTime, TimeSpan period) => Inner.Change(dueTime, period);

            public void Dispose()
            {
                Done();
                Inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
