using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushEx.History;
using PushEx.Instrumentation;
using PushEx.PubSub;
using PushEx.Topics;

namespace PushEx.Sockets;

/// <summary>The node-wide parts every <see cref="PushSocket"/> uses, created once and shared.</summary>
internal sealed class SocketServices(
    ISocketHandler handler,
    TopicRegistry topics,
    SocketRegistry sockets,
    IPubSubAdapter backplane,
    HistoryPolicy history,
    PushMetrics metrics,
    InstrumentationHooks instrumentation,
    IOptions<PushExOptions> options,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory)
{
    public ISocketHandler Handler { get; } = handler;

    public TopicRegistry Topics { get; } = topics;

    public SocketRegistry Sockets { get; } = sockets;

    /// <summary>Told when a topic's local subscriptions begin and end, so a cluster node listens to exactly its topics.</summary>
    public IPubSubAdapter Backplane { get; } = backplane;

    /// <summary>Which topics keep history, so their joins recover and their sockets record where they stood.</summary>
    public HistoryPolicy History { get; } = history;

    public PushMetrics Metrics { get; } = metrics;

    /// <summary>The app's instrumentation, told of deliveries a socket makes itself (recovered and held pushes).</summary>
    public InstrumentationHooks Instrumentation { get; } = instrumentation;

    public PushExOptions Options { get; } = options.Value;

    public TimeProvider TimeProvider { get; } = timeProvider;

    public ILogger SocketLogger { get; } = loggerFactory.CreateLogger("PushEx.Sockets.PushSocket");
}
