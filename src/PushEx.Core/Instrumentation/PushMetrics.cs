using System.Diagnostics.Metrics;
using PushEx.Topics;

namespace PushEx.Instrumentation;

/// <summary>
/// The <c>PushEx</c> meter (System.Diagnostics.Metrics), for OpenTelemetry or <c>dotnet-counters</c>. Tags are
/// low-cardinality only: never a topic or a socket id.
/// </summary>
internal sealed class PushMetrics
{
    public const string MeterName = "PushEx";

    private readonly Counter<long> _requested;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _unlistened;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _apiRequests;
    private readonly Counter<long> _slowConsumers;
    private readonly Counter<long> _rebalanced;
    private readonly Counter<long> _recovered;
    private readonly Counter<long> _recoveriesFailed;
    private readonly Counter<long> _limitsExceeded;
    private readonly Counter<long> _socketsOpened;
    private readonly Histogram<double> _deliveryTime;

    public PushMetrics(IMeterFactory meterFactory, SocketRegistry sockets, TopicRegistry topics)
    {
        Meter = meterFactory.Create(MeterName);
        Meter.CreateObservableUpDownCounter("pushex.sockets.active", () => sockets.Count, "{socket}", "Open sockets on this node.");
        Meter.CreateObservableUpDownCounter("pushex.channels.joined", () => topics.ChannelCount, "{channel}", "Joined channels (socket and topic pairs) on this node.");
        _requested = Meter.CreateCounter<long>("pushex.pushes.requested", "{push}", "Pushes accepted into the pipeline.");
        _refused = Meter.CreateCounter<long>("pushex.pushes.refused", "{push}", "Pushes refused: the pipeline was full, the backplane unreachable, or the node shutting down.");
        _delivered = Meter.CreateCounter<long>("pushex.pushes.delivered", "{delivery}", "Pushes handed to a subscriber's socket on this node.");
        _unlistened = Meter.CreateCounter<long>("pushex.pushes.unlistened", "{push}", "Pushes to topics nobody listened to.");
        _failed = Meter.CreateCounter<long>("pushex.pushes.failed", "{push}", "Accepted pushes that could not be broadcast.");
        _apiRequests = Meter.CreateCounter<long>("pushex.api.requests", "{request}", "Push API requests, by response status.");
        _slowConsumers = Meter.CreateCounter<long>("pushex.sockets.slow_consumers", "{socket}", "Sockets disconnected because their send queue overflowed; what was queued for them is lost.");
        _rebalanced = Meter.CreateCounter<long>("pushex.sockets.rebalanced", "{socket}", "Sockets closed with 1012 by the rebalancer, so their clients reconnect to emptier nodes.");
        _recovered = Meter.CreateCounter<long>("pushex.pushes.recovered", "{delivery}", "Missed pushes sent to a rejoining client from the topic's history.");
        _recoveriesFailed = Meter.CreateCounter<long>("pushex.recoveries.failed", "{join}", "Joins that asked to recover but whose history had changed or no longer reached back.");
        _limitsExceeded = Meter.CreateCounter<long>(
            "pushex.limits.exceeded",
            "{refusal}",
            "Frames, joins, upgrades and API calls refused (or sockets closed) for going over a limit; the pushex.limit tag names the PushEx option.");
        _socketsOpened = Meter.CreateCounter<long>(
            "pushex.sockets.opened",
            "{socket}",
            "Sockets opened; the pushex.transport tag says how: on Kestrel's connection (connection) or as an upgraded HTTP request (upgrade).");
        _deliveryTime = Meter.CreateHistogram<double>("pushex.push.delivery_time", "ms", "Time from acceptance to broadcast.");
    }

    public Meter Meter { get; }

    public void Requested(int count) => _requested.Add(count);

    public void Refused(int count) => _refused.Add(count);

    public void Delivered(int count) => _delivered.Add(count);

    public void Unlistened() => _unlistened.Add(1);

    public void Failed() => _failed.Add(1);

    public void SlowConsumer() => _slowConsumers.Add(1);

    public void Rebalanced() => _rebalanced.Add(1);

    public void Recovered(int count) => _recovered.Add(count);

    public void RecoveryFailed() => _recoveriesFailed.Add(1);

    /// <summary>Counts one refusal under <paramref name="limit"/>, the name of the <see cref="PushExOptions"/> property that set it.</summary>
    public void LimitExceeded(string limit) => _limitsExceeded.Add(1, new KeyValuePair<string, object?>("pushex.limit", limit));

    /// <summary>Counts a socket opened over <paramref name="transport"/>: <c>connection</c> or <c>upgrade</c>.</summary>
    public void SocketOpened(string transport) => _socketsOpened.Add(1, new KeyValuePair<string, object?>("pushex.transport", transport));

    public void DeliveryTime(double milliseconds) => _deliveryTime.Record(milliseconds);

    public void ApiRequest(int statusCode) => _apiRequests.Add(1, new KeyValuePair<string, object?>("http.response.status_code", statusCode));
}
