using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using PushEx.History;
using PushEx.Instrumentation;
using PushEx.Protocol;
using PushEx.PubSub;
using PushEx.Sockets;
using PushEx.Topics;

namespace PushEx.Tests.Infrastructure;

/// <summary>
/// One node's worth of real parts (topic and socket registries, options, a fake clock) around a substituted
/// <see cref="ISocketHandler"/> that accepts every join unless a test says otherwise; makes sockets on fake transports.
/// </summary>
internal sealed class SocketHarness
{
    public SocketHarness(Action<PushExOptions>? configure = null, params IPushInstrumentation[] instrumentations)
    {
        Instrumentation = new InstrumentationHooks(instrumentations, Time, NullLogger<InstrumentationHooks>.Instance);
        var options = new PushExOptions();
        configure?.Invoke(options);
        Options = options;
        Handler.JoinAsync(Arg.Any<JoinContext>(), Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult(JoinResult.Ok()));
        // Meters live as long as the test process; nothing listens to them unless a test does.
        Metrics = new PushMetrics(new TestMeterFactory(), Sockets, Topics);
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        Backplane.ReadHistoryAsync(Arg.Any<string>(), Arg.Any<long>(), Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult(HistoryRead.None));
        Services = new SocketServices(Handler, Topics, Sockets, Backplane, new HistoryPolicy(wrapped), Metrics, Instrumentation, wrapped, Time, Logs);
    }

    public ISocketHandler Handler { get; } = Substitute.For<ISocketHandler>();

    /// <summary>Every entry the sockets logged.</summary>
    public RecordingLoggerProvider Logs { get; } = new();

    /// <summary>The app's instrumentation; none is registered unless a test makes a harness with its own.</summary>
    public InstrumentationHooks Instrumentation { get; }

    /// <summary>The node's <c>PushEx</c> meter.</summary>
    public PushMetrics Metrics { get; }

    /// <summary>The backplane the sockets report their subscriptions to (a substitute: every call completes at once).</summary>
    public IPubSubAdapter Backplane { get; } = Substitute.For<IPubSubAdapter>();

    public TopicRegistry Topics { get; } = new();

    public SocketRegistry Sockets { get; } = new();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));

    public PushExOptions Options { get; }

    public SocketServices Services { get; }

    /// <summary>Every context <see cref="ISocketHandler.JoinAsync"/> was called with, in order.</summary>
    public List<JoinContext> JoinCalls =>
    [
        .. Handler.ReceivedCalls()
            .Where(call => call.GetMethodInfo().Name == nameof(ISocketHandler.JoinAsync))
            .Select(call => (JoinContext)call.GetArguments()[0]!),
    ];

    /// <summary>Makes the handler answer joins of <paramref name="topic"/> with <paramref name="result"/>.</summary>
    public void JoinReturns(string topic, JoinResult result) =>
        Handler.JoinAsync(Arg.Is<JoinContext>(context => context.Topic == topic), Arg.Any<CancellationToken>())
            .Returns(ValueTask.FromResult(result));

    /// <summary>Makes the handler throw <paramref name="exception"/> for joins of <paramref name="topic"/>.</summary>
    public void JoinThrows(string topic, Exception exception) =>
        Handler.JoinAsync(Arg.Is<JoinContext>(context => context.Topic == topic), Arg.Any<CancellationToken>())
            .Returns<ValueTask<JoinResult>>(_ => throw exception);

    /// <summary>Makes a socket on a new fake transport and opens it (registers it with the node).</summary>
    public TestSocket Connect(
        PhoenixSerializer? serializer = null,
        string? socketId = null,
        string presenceIdentifier = "anonymous",
        IReadOnlyDictionary<string, object?>? assigns = null,
        DateTimeOffset? expiresAt = null)
    {
        var transport = new FakeSocketTransport();
        var socket = new PushSocket(
            Services,
            transport,
            serializer ?? V2JsonSerializer.Instance,
            assigns ?? new Dictionary<string, object?>(),
            socketId,
            presenceIdentifier,
            expiresAt);
        socket.Open();
        return new TestSocket(socket, transport);
    }

    /// <summary>The join refs subscribed to <paramref name="topic"/> on this node, in no particular order.</summary>
    public List<(PushSocket Socket, string? JoinRef)> SubscribersOf(string topic)
    {
        var subscribers = new List<(PushSocket, string?)>();
        Topics.ForEach(topic, static (subscription, list) => list.Add((subscription.Socket, subscription.JoinRef)), subscribers);
        return subscribers;
    }
}

/// <summary>A socket and the transport it writes to.</summary>
internal sealed record TestSocket(PushSocket Socket, FakeSocketTransport Transport)
{
    public ValueTask SendTextAsync(string frame) =>
        Socket.HandleFrameAsync(Encoding.UTF8.GetBytes(frame), isBinary: false, TestContext.Current.CancellationToken);

    public ValueTask SendBinaryAsync(byte[] frame) =>
        Socket.HandleFrameAsync(frame, isBinary: true, TestContext.Current.CancellationToken);

    public Task<string[]> WaitForTextFramesAsync(int count) => Transport.WaitForTextFramesAsync(count);
}
