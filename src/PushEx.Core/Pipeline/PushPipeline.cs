using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushEx.Instrumentation;
using PushEx.PubSub;

namespace PushEx.Pipeline;

/// <summary>
/// The original's item producer and its workers: one bounded buffer of accepted pushes, drained by
/// <see cref="PushExOptions.ProducerMaxConcurrency"/> workers. A push goes to the worker its topic hashes to, so
/// one topic's pushes are broadcast one after another, in the order accepted, while topics run in parallel.
/// A full buffer refuses new pushes; nothing accepted is dropped without a warning and a metric. On shutdown the
/// drain closes it (<see cref="Close"/>): new pushes are then refused and the workers finish what was accepted.
/// </summary>
internal sealed partial class PushPipeline : IPushPublisher, IAsyncDisposable, IDisposable
{
    private readonly IPubSubAdapter _adapter;
    private readonly InstrumentationHooks _instrumentation;
    private readonly PushMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly int _capacity;
    private readonly int _maxPushBytes;
    private readonly bool _trackerDisabled;
    private readonly HashSet<string> _untrackedTopics;
    private readonly Partition[] _partitions;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _disposing = new();

    // Pushes reserved and not yet broadcast, plus ClosedFlag once closed: one word, so that no reservation can
    // succeed after the close, and after it the count only goes down.
    private long _pending;
    private int _refusing;

    public PushPipeline(
        IPubSubAdapter adapter,
        InstrumentationHooks instrumentation,
        PushMetrics metrics,
        IOptions<PushExOptions> options,
        TimeProvider timeProvider,
        ILogger<PushPipeline> logger)
    {
        _adapter = adapter;
        _instrumentation = instrumentation;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        _capacity = options.Value.ProducerMaxBuffer;
        _maxPushBytes = options.Value.MaxPushBytes;
        _trackerDisabled = options.Value.TrackerDisabled;
        _untrackedTopics = new HashSet<string>(options.Value.UntrackedTopics, StringComparer.Ordinal);

        // Unbounded channels, bounded together by _pending against _capacity.
        _partitions = new Partition[options.Value.ProducerMaxConcurrency];
        _workers = new Task[_partitions.Length];
        for (var i = 0; i < _partitions.Length; i++)
        {
            var partition = _partitions[i] = new Partition();
            _workers[i] = Task.Run(() => RunWorkerAsync(partition));
        }
    }

    /// <summary>Pushes accepted and not yet broadcast.</summary>
    public int Pending => (int)(Volatile.Read(ref _pending) & ~ClosedFlag);

    /// <summary>True once <see cref="Close"/> was called: every push is refused with <see cref="PublishResult.ShuttingDown"/>.</summary>
    public bool IsClosed => (Volatile.Read(ref _pending) & ClosedFlag) != 0;

    public PublishResult TryPublish(string channel, string eventName, JsonElement data)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(eventName);
        return TryAccept([CreatePush(channel, CreateContent(eventName, JsonMarshal.GetRawUtf8Value(data), nameof(data)))]);
    }

    public PublishResult TryPublish(string channel, string eventName, ReadOnlyMemory<byte> utf8JsonData)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(eventName);
        if (!Push.IsValidData(utf8JsonData.Span))
        {
            throw new ArgumentException("The data must be exactly one valid JSON value.", nameof(utf8JsonData));
        }

        return TryAccept([CreatePush(channel, CreateContent(eventName, utf8JsonData.Span, nameof(utf8JsonData)))]);
    }

    public ValueTask<int> DisconnectSocketsAsync(string socketId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socketId);
        return _adapter.DisconnectAsync(socketId, cancellationToken);
    }

    // The in-process counterpart of the API's 413: a push over the bound is the caller's error, as invalid data is.
    private PushContent CreateContent(string eventName, ReadOnlySpan<byte> data, string paramName)
    {
        var content = new PushContent(eventName, data);
        if (content.MsgPayload.Length > _maxPushBytes)
        {
            throw new ArgumentException(
                $"The push is {content.MsgPayload.Length} bytes as {{\"data\":…,\"event\":…}}, over PushEx:MaxPushBytes ({_maxPushBytes}).",
                paramName);
        }

        return content;
    }

    /// <summary>Stamps a push with the time of acceptance.</summary>
    internal Push CreatePush(string channel, string eventName, ReadOnlyMemory<byte> data) =>
        CreatePush(channel, new PushContent(eventName, data.Span));

    /// <summary>Stamps a push with the time of acceptance; pushes of one call to several channels share their content.</summary>
    internal Push CreatePush(string channel, PushContent content) =>
        new(channel, content, _timeProvider.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>
    /// Accepts all of <paramref name="pushes"/> or none: when the buffer has no room for every one of them, none is
    /// queued and <see cref="PublishResult.BufferFull"/> is returned; while the backplane is down, or the part of it that
    /// carries one of their topics, <see cref="PublishResult.BackplaneUnavailable"/>; once the pipeline is closed, <see cref="PublishResult.ShuttingDown"/>.
    /// Calls the <c>Requested</c> hook per accepted push.
    /// </summary>
    internal PublishResult TryAccept(IReadOnlyList<Push> pushes)
    {
        if (!_adapter.IsAvailable || (_adapter.IsDegraded && AnyTopicUnavailable(pushes)))
        {
            // Accepting would promise a delivery to other nodes that cannot happen now.
            _metrics.Refused(pushes.Count);
            return PublishResult.BackplaneUnavailable;
        }

        var reserved = TryReserve(pushes.Count);
        if (reserved != PublishResult.Accepted)
        {
            _metrics.Refused(pushes.Count);
            if (reserved == PublishResult.BufferFull && Interlocked.Exchange(ref _refusing, 1) == 0)
            {
                Log.BufferFull(_logger, _capacity);
            }

            return reserved;
        }

        if (Volatile.Read(ref _refusing) == 1 && Interlocked.Exchange(ref _refusing, 0) == 1)
        {
            Log.BufferAccepting(_logger);
        }

        _metrics.Requested(pushes.Count);
        foreach (var push in pushes)
        {
            if (_instrumentation.IsEnabled)
            {
                _instrumentation.Requested(push);
            }

            if (!_partitions[PartitionOf(push.Channel)].TryEnqueue(push))
            {
                // Disposed meanwhile: lost as the pushes still queued then are (DisposeAsync counts those).
                _metrics.Failed();
                Interlocked.Decrement(ref _pending);
            }
        }

        return PublishResult.Accepted;
    }

    private bool AnyTopicUnavailable(IReadOnlyList<Push> pushes)
    {
        foreach (var push in pushes)
        {
            if (_adapter.IsUnavailableFor(push.Channel))
            {
                return true;
            }
        }

        return false;
    }

    private PublishResult TryReserve(int count)
    {
        while (true)
        {
            var pending = Volatile.Read(ref _pending);
            if ((pending & ClosedFlag) != 0)
            {
                return PublishResult.ShuttingDown;
            }

            if (pending + count > _capacity)
            {
                return PublishResult.BufferFull;
            }

            if (Interlocked.CompareExchange(ref _pending, pending + count, pending) == pending)
            {
                return PublishResult.Accepted;
            }
        }
    }

    private int PartitionOf(string channel) => (int)((uint)StringComparer.Ordinal.GetHashCode(channel) % (uint)_partitions.Length);

    private async Task RunWorkerAsync(Partition partition)
    {
        await foreach (var push in partition.Queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            await BroadcastAsync(push).ConfigureAwait(false);
            Interlocked.Increment(ref partition.Broadcast);
            SignalProgress();
        }
    }

    private async ValueTask BroadcastAsync(Push push)
    {
        try
        {
            var listened = await _adapter.PublishAsync(push, _disposing.Token).ConfigureAwait(false);
            var msInStage = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds() - push.UnixMsAcceptedAt;
            if (listened || _trackerDisabled || _untrackedTopics.Contains(push.Channel))
            {
                _metrics.DeliveryTime(msInStage);
                Log.Broadcast(_logger, push.Channel, push.Event, msInStage);
            }
            else
            {
                _metrics.Unlistened();
                Log.NoListeners(_logger, push.Channel, push.Event, msInStage);
            }
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
            // Disposed with pushes still queued: DisposeAsync logs how many, once.
            _metrics.Failed();
        }
        catch (BackplaneUnavailableException)
        {
            // The adapter logs the outage once and counts what it lost; a line per push would flood the log.
            _metrics.Failed();
            Log.BackplaneFailed(_logger, push.Channel, push.Event);
        }
        catch (Exception ex)
        {
            _metrics.Failed();
            Log.BroadcastFailed(_logger, push.Channel, push.Event, ex);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>
    /// One worker's share: its queue, broadcast in order, and how many pushes were queued and broadcast so far, from
    /// which the drain knows exactly when everything queued before a given moment is out.
    /// </summary>
    private sealed class Partition
    {
        // Fields, not properties: Interlocked takes them by reference.
        public long Accepted;
        public long Broadcast;

        // Unbounded: the pipeline bounds all partitions together by _pending against _capacity.
        public Channel<Push> Queue { get; } = Channel.CreateUnbounded<Push>(new UnboundedChannelOptions { SingleReader = true });

        /// <summary>Queues the push; false only once the pipeline is disposed.</summary>
        public bool TryEnqueue(Push push)
        {
            // Counted before it is queued, so the worker's count never passes this one.
            Interlocked.Increment(ref Accepted);
            if (Queue.Writer.TryWrite(push))
            {
                return true;
            }

            Interlocked.Decrement(ref Accepted);
            return false;
        }
    }
}
