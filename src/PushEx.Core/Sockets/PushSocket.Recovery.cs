using System.Buffers;
using System.Text.Json;
using PushEx.History;
using PushEx.Pipeline;
using PushEx.Protocol;
using PushEx.PubSub;
using PushEx.Topics;

namespace PushEx.Sockets;

/// <summary>
/// Recovery: a join to a topic with history resumes from where its client stood (the <c>recover</c> of its payload,
/// else the position recorded when an earlier socket of the same socket id ended), and a socket with a socket id
/// records those positions when it ends. Between the join reply and the live pushes the client gets one
/// <c>"recovery"</c> event and every push it missed, in order, with no gap and no duplicate.
/// </summary>
internal sealed partial class PushSocket
{
    // {"recover": {"epoch": "…", "offset": 17}} in the join payload; anything else there is no explicit recovery.
    // (TryGetInt64 throws on anything but a number, so the kind is checked first: the payload is the client's.)
    private StreamPosition? ReadRecover(JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Object || !parameters.TryGetProperty("recover", out var recover))
        {
            return null;
        }

        if (recover.ValueKind == JsonValueKind.Object
            && recover.TryGetProperty("epoch", out var epoch) && epoch.ValueKind == JsonValueKind.String
            && recover.TryGetProperty("offset", out var offset) && offset.ValueKind == JsonValueKind.Number
            && offset.TryGetInt64(out var value) && value >= 0)
        {
            return new StreamPosition(epoch.GetString()!, value);
        }

        Log.RecoverMalformed(_services.SocketLogger);
        return null;
    }

    private async ValueTask<StreamPosition?> FindResumePositionAsync(string topic, CancellationToken cancellationToken)
    {
        if (SocketId is not { } socketId)
        {
            return null;
        }

        try
        {
            return await _services.Backplane.FindResumePositionAsync(socketId, topic, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Without the record the join goes on as a fresh one; the client then gets only live pushes.
            LogHistoryUnavailable(ex);
            return null;
        }
    }

    // The subscription is registered (holding) and its reply queued: read the history, then, under the topic's lock,
    // send what the client missed and what arrived meanwhile, and let the subscription go live.
    // The read is not cancelled when the connection goes: where the client stands, which the socket records as it
    // ends, is known only from its answer (the backplane's own timeout bounds it).
    private async ValueTask GoLiveAsync(Subscription subscription, StreamPosition? recoverFrom)
    {
        HistoryRead read;
        try
        {
            read = await _services.Backplane.ReadHistoryAsync(subscription.Topic, recoverFrom?.Offset ?? long.MaxValue, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogHistoryUnavailable(ex);
            read = HistoryRead.None;
        }

        _services.Topics.WithLock(subscription, static (subscription, state) => state.Socket.GoLive(subscription, state.RecoverFrom, state.Read), (Socket: this, RecoverFrom: recoverFrom, Read: read));
    }

    // A backplane outage is logged once by the adapter, not once per join; anything else is worth a warning.
    private void LogHistoryUnavailable(Exception exception)
    {
        if (exception is BackplaneUnavailableException)
        {
            Log.HistoryUnreachable(_services.SocketLogger, exception);
        }
        else
        {
            Log.HistoryUnavailable(_services.SocketLogger, exception);
        }
    }

    // Under the topic's lock.
    private void GoLive(Subscription subscription, StreamPosition? recoverFrom, HistoryRead read)
    {
        var held = subscription.Held!;
        subscription.Held = null;
        var top = read.Top;

        // A push held here arrived after the subscription was registered, so the client gets it whatever the read saw
        // (the read may well have happened after it); the client stood just before the first one.
        subscription.StartPosition = held.Count > 0 && held[0].Position is { } first && (top is null || first.Epoch == top.Value.Epoch)
            ? first with { Offset = first.Offset - 1 }
            : top ?? Origin;
        var delivered = 0;
        if (recoverFrom is { } from)
        {
            var sameHistory = top is { } current
                ? (from.Epoch == current.Epoch || from.Epoch.Length == 0) && from.Offset <= current.Offset
                : from.Epoch.Length == 0;
            var recovered = sameHistory && (from.Offset == (top?.Offset ?? 0) || read.IsComplete);
            long? missed = sameHistory ? (top?.Offset ?? 0) - from.Offset : null;
            SendRecoveryEvent(subscription, recovered, top, missed);
            if (recovered)
            {
                // What was written from here on is where the client stands, should this socket end during the replay.
                subscription.StartPosition = from;
                subscription.ReplayedUpTo = top;
                foreach (var push in read.Pushes)
                {
                    if (push.Position!.Value.Offset > from.Offset && SendPush(subscription, push))
                    {
                        delivered++;
                        if (_services.Instrumentation.IsEnabled)
                        {
                            _services.Instrumentation.Recovered(push);
                        }
                    }
                }

                _services.Metrics.Recovered(delivered);
            }
            else
            {
                Log.RecoveryImpossible(_services.SocketLogger, subscription.Topic, missed);
                _services.Metrics.RecoveryFailed();
            }
        }

        var live = 0;
        foreach (var push in held)
        {
            // A replay covered every push up to the read's top; later ones (or a new history's) go out now.
            if (subscription.WasReplayed(push))
            {
                continue;
            }

            if (SendPush(subscription, push))
            {
                live++;
                if (_services.Instrumentation.IsEnabled)
                {
                    _services.Instrumentation.Delivered(push, 1);
                }
            }
        }

        if (live > 0)
        {
            _services.Metrics.Delivered(live);
        }
    }

    // A position before any history: a client that joined a topic that had none yet missed every push since.
    private static readonly StreamPosition Origin = new(string.Empty, 0);

    private bool SendPush(Subscription subscription, Push push) =>
        Send(new OutboundFrame(subscription, push, _serializer.EncodeSharedPush(subscription.Topic, "msg", push.MsgPayload.Span)));

    // {"recovered": true, "epoch": "…", "offset": 17, "missed": 3}: missed is null when unknown (another history).
    private void SendRecoveryEvent(Subscription subscription, bool recovered, StreamPosition? top, long? missed)
    {
        var payload = new ArrayBufferWriter<byte>(96);
        using (var writer = new Utf8JsonWriter(payload, PhoenixSerializer.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("recovered"u8, recovered);
            if (top is { } position)
            {
                writer.WriteString("epoch"u8, position.Epoch);
                writer.WriteNumber("offset"u8, position.Offset);
            }
            else
            {
                writer.WriteNull("epoch"u8);
                writer.WriteNumber("offset"u8, 0);
            }

            if (missed is { } count)
            {
                writer.WriteNumber("missed"u8, count);
            }
            else
            {
                writer.WriteNull("missed"u8);
            }

            writer.WriteEndObject();
        }

        SendMessage(subscription.JoinRef, null, subscription.Topic, "recovery", payload.WrittenSpan);
    }

    private Subscription[] SnapshotChannels() => _channels.Snapshot();

    // The outbox calls this once everything queued before a close is written, right before the close frame: a client
    // told to go (a drain's 1012, a rebalance) may reconnect to another node within milliseconds, and its rejoin must
    // find where it stands already recorded.
    internal ValueTask RecordResumePositionsAsync() => SaveResumePositionsOnceAsync(SnapshotChannels());

    private async Task SaveResumePositionsAsync(Subscription[] ended)
    {
        if (SocketId is null || !ended.Any(subscription => subscription.StartPosition is not null))
        {
            return;
        }

        // Once the outbox is done (its close written, or writing failed), what each client was sent is final. Closing
        // it records the positions on the way, unless that was done already or writing failed before the close.
        _outbox.Close(SocketCloseCode.GoingAway, "connection ended");
        await _outbox.Completion.ConfigureAwait(false);
        await SaveResumePositionsOnceAsync(ended).ConfigureAwait(false);
    }

    private async ValueTask SaveResumePositionsOnceAsync(Subscription[] subscriptions)
    {
        if (SocketId is not { } socketId || Interlocked.Exchange(ref _resumePositionsSaved, 1) != 0)
        {
            return;
        }

        // A join still reading the history (a drain's close can come at any moment) knows where its client stood only
        // once the read is back: just before the first push held meanwhile, or the top the read found. What it then
        // sends is not written (the socket is closing), so the record covers all of it.
        if (Volatile.Read(ref _goingLive) is { IsCompleted: false } goingLive)
        {
            Log.ResumeRecordAwaitsJoin(_services.SocketLogger);
            await goingLive.ConfigureAwait(false);
        }

        var positions = new List<KeyValuePair<string, StreamPosition>>(subscriptions.Length);
        foreach (var subscription in subscriptions)
        {
            if (subscription.ResumePosition is { } position)
            {
                positions.Add(new(subscription.Topic, position));
            }
        }

        if (positions.Count == 0)
        {
            return;
        }

        try
        {
            await _services.Backplane.SaveResumePositionsAsync(socketId, positions, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Its client's next join then starts fresh; the loss is logged, the socket's end is not held up.
            Log.ResumeSaveFailed(_services.SocketLogger, ex);
        }
    }
}
