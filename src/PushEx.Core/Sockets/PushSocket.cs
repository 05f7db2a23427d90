using System.Buffers;
using System.Text;
using System.Text.Json;
using PushEx.History;
using PushEx.Protocol;
using PushEx.Topics;

namespace PushEx.Sockets;

/// <summary>
/// One client connection: the Phoenix socket state machine of PROTOCOL.md §3 (heartbeat, join, duplicate
/// join, leave, unmatched topic, stale join refs), independent of the transport that carries its frames.
/// The transport hands it one frame at a time and waits, so frames of one socket are handled in order and a
/// join's reply is written before the next frame is looked at.
/// </summary>
internal sealed partial class PushSocket
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();
    private static readonly byte[] UnmatchedTopic = """{"reason":"unmatched topic"}"""u8.ToArray();
    private static readonly byte[] TooManyChannels = """{"reason":"too many channels joined"}"""u8.ToArray();
    private static readonly byte[] TopicTooLong = """{"reason":"topic too long"}"""u8.ToArray();
    private static readonly byte[] UnsupportedEvent = """{"reason":"unsupported event"}"""u8.ToArray();
    private static readonly JoinResult JoinCrashedResult = JoinResult.Error("join crashed");

    private readonly SocketServices _services;
    private readonly PhoenixSerializer _serializer;
    private readonly SocketOutbox _outbox;

    // Changed only by the frame handler, which the transport never runs concurrently, and under its own lock so the
    // outbox's writer can take a snapshot when it records the resume positions before a close.
    private readonly JoinedChannels _channels = new();
    private long _lastReceivedTimestamp;
    private int _closed;
    private int _resumePositionsSaved;

    // Completes when the join in progress has read its topic's history (null when none is reading): until then, that
    // join's client has no known position. Cleared afterwards, so an idle socket holds nothing here.
    private Task? _goingLive;

    public PushSocket(
        SocketServices services,
        ISocketTransport transport,
        PhoenixSerializer serializer,
        IReadOnlyDictionary<string, object?> assigns,
        string? socketId,
        string presenceIdentifier,
        DateTimeOffset? expiresAt = null)
    {
        _services = services;
        _serializer = serializer;
        _outbox = new SocketOutbox(transport, services, this);
        Assigns = assigns;
        SocketId = socketId;
        PresenceIdentifier = presenceIdentifier;
        ExpiresAt = expiresAt;
        ConnectedAt = services.TimeProvider.GetUtcNow();
        _lastReceivedTimestamp = services.TimeProvider.GetTimestamp();
        FillRateLimits(_lastReceivedTimestamp);
    }

    public IReadOnlyDictionary<string, object?> Assigns { get; }

    public string? SocketId { get; }

    public string PresenceIdentifier { get; }

    public DateTimeOffset ConnectedAt { get; }

    /// <summary>When the credentials the socket connected with expire (<see cref="ConnectResult.ExpiresAt"/>), or null.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    public ProtocolVersion Version => _serializer.Version;

    /// <summary>The transport's timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last client traffic.</summary>
    public long LastReceivedTimestamp => Volatile.Read(ref _lastReceivedTimestamp);

    /// <summary>True once a close was requested.</summary>
    public bool IsClosing => _outbox.IsClosing;

    /// <summary>Registers the socket with the node; call once, before the first frame.</summary>
    public void Open() => _services.Sockets.Add(this);

    /// <summary>
    /// Records client traffic (any frame, ping or pong) for the idle timeout. Only client-to-server traffic
    /// counts, as in Phoenix: pushes to the client do not keep a dead connection open.
    /// </summary>
    public void MarkActivity() => Volatile.Write(ref _lastReceivedTimestamp, _services.TimeProvider.GetTimestamp());

    /// <summary>Handles one complete client frame.</summary>
    public ValueTask HandleFrameAsync(ReadOnlyMemory<byte> frame, bool isBinary, CancellationToken cancellationToken)
    {
        if (!TakeFrameToken())
        {
            return ValueTask.CompletedTask;
        }

        if (!_serializer.TryDecode(frame, isBinary, out var message))
        {
            Log.MalformedFrame(_services.SocketLogger, _serializer.Version, isBinary, frame.Length);
            Close(SocketCloseCode.ProtocolError, "malformed frame");
            return ValueTask.CompletedTask;
        }

        if (message.Topic == "phoenix" && message.Event == "heartbeat")
        {
            // Always answered with a null join ref, before any topic lookup (§3.1).
            Reply(message, joinRef: null, "ok", EmptyObject);
            return ValueTask.CompletedTask;
        }

        switch (message.Event)
        {
            case "phx_join":
                return JoinAsync(message, cancellationToken);
            case "phx_leave":
                Leave(message);
                return ValueTask.CompletedTask;
            default:
                HandleChannelEvent(message);
                return ValueTask.CompletedTask;
        }
    }

    /// <summary>Closes the socket once the frames already queued are written. Safe from any thread.</summary>
    public void Close(SocketCloseCode code, string reason) => _outbox.Close(code, reason);

    /// <summary>Completes once the close frame has been written, or the connection failed.</summary>
    public Task Completion => _outbox.Completion;

    /// <summary>Queues a frame for the client; false when the socket is closing or the frame overflowed its queue.</summary>
    public bool Send(OutboundFrame frame) => _outbox.TryEnqueue(frame);

    /// <summary>
    /// Unregisters the socket and all its subscriptions; the transport calls it once the connection has ended. A
    /// socket with a socket id then records, for each topic with history, where its client stands, once the outbox
    /// has written all it will (so a reconnect resumes from exactly what was written), and only then leaves the
    /// node's registry: the shutdown drain, which waits for the registry to empty, waits for that record too.
    /// </summary>
    public async Task OnClosedAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        var ended = SnapshotChannels();
        foreach (var subscription in ended)
        {
            Unregister(subscription);
        }

        try
        {
            await SaveResumePositionsAsync(ended).ConfigureAwait(false);
        }
        finally
        {
            _services.Sockets.Remove(this);
        }
    }

    private async ValueTask JoinAsync(ClientMessage message, CancellationToken cancellationToken)
    {
        if (message.Topic is not { } topic)
        {
            // PushEx routes every string topic; anything else matches no route (§3.2).
            Reply(message, joinRef: null, "error", UnmatchedTopic);
            return;
        }

        // Before anything else about the topic: a refused join must not replace the channel it names.
        if (!TakeJoinToken(message))
        {
            return;
        }

        if (Encoding.UTF8.GetByteCount(topic) > _services.Options.MaxTopicLength)
        {
            // Never joined, so nothing is replaced: the socket and its other channels go on.
            Log.TopicTooLong(_services.SocketLogger, _services.Options.MaxTopicLength);
            _services.Metrics.LimitExceeded(nameof(PushExOptions.MaxTopicLength));
            Reply(message, message.JoinRef, "error", TopicTooLong);
            return;
        }

        // Last join wins: the old subscription goes first, and its phx_close follows the new join's reply (§3.2).
        var replaced = _channels.Remove(topic);
        if (replaced is not null)
        {
            Unregister(replaced);
        }

        try
        {
            if (_channels.Count >= _services.Options.MaxChannelsPerSocket)
            {
                Log.TooManyChannels(_services.SocketLogger, _services.Options.MaxChannelsPerSocket);
                _services.Metrics.LimitExceeded(nameof(PushExOptions.MaxChannelsPerSocket));
                Reply(message, message.JoinRef, "error", TooManyChannels);
                return;
            }

            var parameters = ParseJoinPayload(message);
            var result = await CallJoinAsync(parameters, topic, cancellationToken).ConfigureAwait(false);
            if (!result.IsOk)
            {
                Reply(message, message.JoinRef, "error", result.Response.Span);
                return;
            }

            // A cluster node must be listening to the topic before the reply promises the client its pushes.
            await _services.Backplane.SubscribeAsync(topic, cancellationToken).ConfigureAwait(false);
            var prefix = _serializer.EncodeJoinRefPrefix(message.JoinRef);
            var subscription = new Subscription(this, topic, message.JoinRef, prefix, _services.TimeProvider.GetUtcNow());
            var hasHistory = _services.History.MaxPushesFor(topic) > 0;
            StreamPosition? recoverFrom = null;
            if (hasHistory)
            {
                recoverFrom = ReadRecover(parameters) ?? await FindResumePositionAsync(topic, cancellationToken).ConfigureAwait(false);

                // Pushes that arrive while the history is read wait here, behind the reply and the missed pushes.
                subscription.Held = [];
            }

            // Set before the subscription can be seen: a close that records positions meanwhile waits for this join.
            var wentLive = hasHistory ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
            Volatile.Write(ref _goingLive, wentLive?.Task);
            try
            {
                _channels.Set(subscription);

                var reply = EncodeReply(message, message.JoinRef, "ok", result.Response.Span);
                _services.Topics.Add(subscription, static state => state.Socket.Send(state.Reply), (Socket: this, Reply: reply));
                if (hasHistory)
                {
                    await GoLiveAsync(subscription, recoverFrom).ConfigureAwait(false);
                }
            }
            finally
            {
                wentLive?.SetResult();
                Volatile.Write(ref _goingLive, null);
            }
        }
        finally
        {
            if (replaced is not null)
            {
                SendMessage(replaced.JoinRef, replaced.JoinRef, topic, "phx_close", EmptyObject);
            }
        }
    }

    // The join payload as JSON; a binary or malformed one gives the handler an undefined element, as before.
    private static JsonElement ParseJoinPayload(ClientMessage message)
    {
        try
        {
            return message.IsBinary ? default : JsonSerializer.Deserialize<JsonElement>(message.Payload.Span);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private async ValueTask<JoinResult> CallJoinAsync(JsonElement parameters, string topic, CancellationToken cancellationToken)
    {
        try
        {
            var context = new JoinContext(topic, parameters, Assigns, SocketId);
            var result = await _services.Handler.JoinAsync(context, cancellationToken).ConfigureAwait(false);
            return result ?? throw new InvalidOperationException($"{nameof(ISocketHandler.JoinAsync)} returned null.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.JoinCrashed(_services.SocketLogger, ex);
            return JoinCrashedResult;
        }
    }

    private void Leave(ClientMessage message)
    {
        if (message.Topic is not { } topic || !_channels.TryGetValue(topic, out var subscription))
        {
            // Leaving a topic that is not joined is fine (§3.4): ok, echoing whatever join ref came.
            Reply(message, message.JoinRef, "ok", EmptyObject);
            return;
        }

        if (IsStale(message, subscription))
        {
            Log.StaleJoinRef(_services.SocketLogger, message.Event);
            return;
        }

        _channels.Remove(topic);

        Unregister(subscription);
        Reply(message, subscription.JoinRef, "ok", EmptyObject);
        SendMessage(subscription.JoinRef, subscription.JoinRef, topic, "phx_close", EmptyObject);
    }

    private void HandleChannelEvent(ClientMessage message)
    {
        if (message.Topic is not { } topic || !_channels.TryGetValue(topic, out var subscription))
        {
            Reply(message, joinRef: null, "error", UnmatchedTopic);
            return;
        }

        if (IsStale(message, subscription))
        {
            Log.StaleJoinRef(_services.SocketLogger, message.Event);
            return;
        }

        // PushEx channels take no client pushes. The original crashed the channel (phx_error); answering an error
        // keeps the subscription, so a misbehaving client does not lose its pushes.
        Log.UnsupportedEvent(_services.SocketLogger, message.Event);
        Reply(message, subscription.JoinRef, "error", UnsupportedEvent);
    }

    private void Unregister(Subscription subscription)
    {
        _services.Topics.Remove(subscription);
        _services.Backplane.Unsubscribe(subscription.Topic);
    }

    // A non-null join ref that is not the channel's belongs to an earlier join of the topic (§3.3).
    private static bool IsStale(ClientMessage message, Subscription subscription) =>
        message.JoinRef is not null && message.JoinRef != subscription.JoinRef;

    private void Reply(ClientMessage request, string? joinRef, string status, ReadOnlySpan<byte> response) =>
        Send(EncodeReply(request, joinRef, status, response));

    private OutboundFrame EncodeReply(ClientMessage request, string? joinRef, string status, ReadOnlySpan<byte> response)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + response.Length);
        _serializer.WriteReply(buffer, request, joinRef, status, response);
        return new OutboundFrame(buffer.WrittenMemory, isBinary: false);
    }

    private void SendMessage(string? joinRef, string? @ref, string topic, string @event, ReadOnlySpan<byte> payload)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + payload.Length);
        _serializer.WriteMessage(buffer, joinRef, @ref, topic, @event, payload);
        Send(new OutboundFrame(buffer.WrittenMemory, isBinary: false));
    }
}
