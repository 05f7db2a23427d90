using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PushEx.History;
using PushEx.Instrumentation;
using PushEx.Protocol;
using PushEx.PubSub;
using PushEx.Sockets;
using PushEx.Topics;

namespace PushEx.Benchmarks.Infrastructure;

/// <summary>
/// One node's real fan-out parts (registries, broadcaster, sockets and their outboxes) without a host or a network:
/// sockets write to <see cref="CountingTransport"/>s, so a benchmark can wait until every frame was handed over.
/// </summary>
internal sealed class BenchNode : IDisposable
{
    private readonly BenchMeterFactory _meters = new();
    private readonly SocketServices _services;
    private readonly List<PushSocket> _sockets = [];

    public BenchNode(Action<PushExOptions>? configure = null)
    {
        var topics = new TopicRegistry();
        var sockets = new SocketRegistry();
        var metrics = new PushMetrics(_meters, sockets, topics);
        var hooks = new InstrumentationHooks([], TimeProvider.System, NullLogger<InstrumentationHooks>.Instance);
        Broadcaster = new LocalBroadcaster(topics, hooks, metrics);
        var settings = new PushExOptions();
        configure?.Invoke(settings);
        var options = Options.Create(settings);
        var history = new HistoryPolicy(options);
        Adapter = new InMemoryPubSubAdapter(Broadcaster, sockets, new InMemoryHistory(history, TimeProvider.System), new InMemoryResumePositions(history, TimeProvider.System));
        _services = new SocketServices(
            new AcceptAllSocketHandler(),
            topics,
            sockets,
            Adapter,
            history,
            metrics,
            hooks,
            options,
            TimeProvider.System,
            NullLoggerFactory.Instance);
    }

    public LocalBroadcaster Broadcaster { get; }

    /// <summary>The node's pub/sub adapter: publishing through it keeps each push in its topic's history first.</summary>
    public InMemoryPubSubAdapter Adapter { get; }

    public DeliveryCounter Counter { get; } = new();

    /// <summary>Opens a socket and joins it to <paramref name="topic"/> through the real frame handler; the join reply is written to the transport.</summary>
    public void AddSubscriber(string topic, bool v2)
    {
        PhoenixSerializer serializer = v2 ? V2JsonSerializer.Instance : V1JsonSerializer.Instance;
        var socket = new PushSocket(_services, new CountingTransport(Counter), serializer, new Dictionary<string, object?>(), socketId: null, "bench");
        socket.Open();
        var join = v2
            ? $$"""["1","1","{{topic}}","phx_join",{}]"""
            : $$"""{"topic":"{{topic}}","event":"phx_join","payload":{},"ref":"1","join_ref":"1"}""";
        socket.HandleFrameAsync(Encoding.UTF8.GetBytes(join), isBinary: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _sockets.Add(socket);
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.OnClosedAsync().GetAwaiter().GetResult();
        }

        _meters.Dispose();
        Counter.Dispose();
    }
}
