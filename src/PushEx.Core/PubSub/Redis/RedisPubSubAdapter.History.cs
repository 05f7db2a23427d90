using System.Globalization;
using PushEx.History;
using PushEx.Pipeline;
using StackExchange.Redis;
using StreamPosition = PushEx.History.StreamPosition;

namespace PushEx.PubSub.Redis;

/// <summary>
/// Topic history and resume positions, kept in Redis so that every node reads the same. A topic's history is written by
/// the publish script (<c>.Publishing.cs</c>, <see cref="RedisScripts.Publish"/>) and read here in one script; a socket
/// id's resume positions are one hash, written in one script and read with one HGET.
/// </summary>
internal sealed partial class RedisPubSubAdapter
{
    public async ValueTask<HistoryRead> ReadHistoryAsync(string topic, long afterOffset, CancellationToken cancellationToken)
    {
        if (_history.MaxPushesFor(topic) <= 0)
        {
            return HistoryRead.None;
        }

        if (!_available)
        {
            throw new BackplaneUnavailableException("Redis is unreachable; the topic's history cannot be read.");
        }

        // Only the position: for an offset past any push (long.MaxValue asks for exactly that) or before the first.
        var positionOnly = afterOffset < 0 || afterOffset == long.MaxValue;
        RedisValue from = positionOnly ? RedisValue.EmptyString : string.Create(CultureInfo.InvariantCulture, $"{afterOffset + 1}-0");
        RedisResult reply;
        try
        {
            reply = await _connection!.GetDatabase()
                .ScriptEvaluateAsync(RedisScripts.ReadHistory, _channels.History(topic), [from])
                .WaitAsync(cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            throw new BackplaneUnavailableException("Redis did not answer the read of the topic's history.", ex);
        }

        if (reply.IsNull || (RedisResult[]?)reply is not [var epochReply, var offsetReply, ..] parts
            || (string?)epochReply is not { Length: > 0 } epoch
            || !long.TryParse((string?)offsetReply, NumberStyles.None, CultureInfo.InvariantCulture, out var topOffset))
        {
            return HistoryRead.None;
        }

        var top = new StreamPosition(epoch, topOffset);
        if (positionOnly || afterOffset >= topOffset)
        {
            // Past the top is an offset of another history (or of pushes Redis lost): nothing here follows it.
            return new HistoryRead(top, afterOffset == topOffset, []);
        }

        return ReadPushes(topic, top, afterOffset, parts is [_, _, var entries, ..] ? (RedisResult[]?)entries ?? [] : []);
    }

    public async ValueTask SaveResumePositionsAsync(string socketId, IReadOnlyList<KeyValuePair<string, StreamPosition>> positions, CancellationToken cancellationToken)
    {
        if (positions.Count == 0)
        {
            return;
        }

        if (!_available)
        {
            Log.ResumePositionsNotSaved(_logger, positions.Count, exception: null);
            return;
        }

        var savedAt = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var values = new RedisValue[1 + (2 * positions.Count)];
        values[0] = Math.Max(1, (long)_history.Window.TotalMilliseconds);
        for (var i = 0; i < positions.Count; i++)
        {
            values[1 + (2 * i)] = positions[i].Key;
            values[2 + (2 * i)] = FormatResumePosition(positions[i].Value, savedAt);
        }

        try
        {
            await _connection!.GetDatabase()
                .ScriptEvaluateAsync(RedisScripts.SaveResumePositions, [_channels.ResumePositions(socketId)], values)
                .WaitAsync(cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Log.ResumePositionsNotSaved(_logger, positions.Count, ex);
        }
    }

    public async ValueTask<StreamPosition?> FindResumePositionAsync(string socketId, string topic, CancellationToken cancellationToken)
    {
        if (!_available)
        {
            return null;
        }

        RedisValue value;
        try
        {
            value = await _connection!.GetDatabase()
                .HashGetAsync(_channels.ResumePositions(socketId), topic)
                .WaitAsync(cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Log.ResumePositionNotRead(_logger, ex);
            return null;
        }

        return ParseResumePosition(value, _timeProvider.GetUtcNow().ToUnixTimeMilliseconds() - (long)_history.Window.TotalMilliseconds);
    }

    // Complete only when the entries are exactly afterOffset + 1 … top, each within the window: a push trimmed away,
    // expired, or unreadable is a gap, and a gap means the client must be told it was not recovered.
    private HistoryRead ReadPushes(string topic, StreamPosition top, long afterOffset, RedisResult[] entries)
    {
        var oldest = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds() - (long)_history.Window.TotalMilliseconds;
        var incomplete = new HistoryRead(top, false, []);
        var pushes = new List<Push>(entries.Length);
        var expected = afterOffset + 1;
        foreach (var entry in entries)
        {
            if (!TryReadEntry(entry, out var offset, out var acceptedAt, out var @event, out var data))
            {
                return incomplete;
            }

            if (acceptedAt < oldest)
            {
                // Older than the window: dropped as if expired, so the pushes after it no longer start at 'expected'.
                continue;
            }

            if (offset != expected)
            {
                return incomplete;
            }

            pushes.Add(new Push(topic, @event, data, acceptedAt, new StreamPosition(top.Epoch, offset)));
            expected++;
        }

        return expected - 1 == top.Offset ? new HistoryRead(top, true, pushes) : incomplete;
    }

    // A log entry as the publish script writes it: id "offset-1", fields t (accepted-at), e (event), d (data), n (push id).
    private static bool TryReadEntry(RedisResult entry, out long offset, out long acceptedAt, out string @event, out byte[] data)
    {
        offset = 0;
        acceptedAt = 0;
        @event = string.Empty;
        data = [];
        if ((RedisResult[]?)entry is not [var idReply, var fieldsReply] || (RedisResult[]?)fieldsReply is not { } fields)
        {
            return false;
        }

        var id = (string?)idReply;
        var dash = id?.IndexOf('-', StringComparison.Ordinal) ?? -1;
        if (dash <= 0 || !long.TryParse(id.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out offset))
        {
            return false;
        }

        string? eventField = null;
        byte[]? dataField = null;
        var hasAcceptedAt = false;
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            switch ((string?)fields[i])
            {
                case "t":
                    hasAcceptedAt = long.TryParse((string?)fields[i + 1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out acceptedAt);
                    break;
                case "e":
                    eventField = (string?)fields[i + 1];
                    break;
                case "d":
                    dataField = (byte[]?)fields[i + 1];
                    break;
            }
        }

        if (!hasAcceptedAt || eventField is null || dataField is null || !Push.IsValidData(dataField))
        {
            return false;
        }

        @event = eventField;
        data = dataField;
        return true;
    }

    // "offset:saved-at-unix-ms:epoch". The time lets a read ignore a position older than the window, which the hash's
    // expiry alone cannot: every save renews the expiry of the positions saved before it.
    private static string FormatResumePosition(StreamPosition position, long savedAt) =>
        string.Create(CultureInfo.InvariantCulture, $"{position.Offset}:{savedAt}:{position.Epoch}");

    private static StreamPosition? ParseResumePosition(RedisValue value, long savedNoEarlierThan)
    {
        if (value.IsNull)
        {
            return null;
        }

        var text = ((string?)value).AsSpan();
        var first = text.IndexOf(':');
        if (first <= 0 || !long.TryParse(text[..first], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return null;
        }

        var rest = text[(first + 1)..];
        var second = rest.IndexOf(':');
        // An empty epoch is the origin (offset 0): the client joined the topic before it had any history, and is owed
        // everything since. With any other offset it is malformed.
        if (second <= 0 || !long.TryParse(rest[..second], NumberStyles.None, CultureInfo.InvariantCulture, out var savedAt)
            || (second == rest.Length - 1 && offset != 0) || savedAt < savedNoEarlierThan)
        {
            return null;
        }

        return new StreamPosition(rest[(second + 1)..].ToString(), offset);
    }
}
