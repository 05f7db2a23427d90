using System.Text;
using System.Text.Json;
using PushEx.History;

namespace PushEx.Pipeline;

/// <summary>
/// One event for the subscribers of one channel (topic): the original's <c>PushEx.Push</c>. The data is kept as
/// the raw UTF-8 JSON it arrived as; it is never parsed again, and every subscriber receives the same bytes.
/// </summary>
public sealed class Push
{
    internal Push(string channel, string @event, ReadOnlyMemory<byte> data, long unixMsAcceptedAt)
        : this(channel, new PushContent(@event, data.Span), unixMsAcceptedAt)
    {
    }

    internal Push(string channel, PushContent content, long unixMsAcceptedAt)
    {
        Channel = channel;
        Content = content;
        UnixMsAcceptedAt = unixMsAcceptedAt;
        MsgPayload = content.MsgPayload;
    }

    /// <summary>
    /// A push that already has its place in the topic's history (one received from another node, or read back): its
    /// payload is built once, with the position.
    /// </summary>
    internal Push(string channel, string @event, ReadOnlyMemory<byte> data, long unixMsAcceptedAt, StreamPosition position)
        : this(channel, new PushContent(@event, data.Span, position), unixMsAcceptedAt)
    {
        Position = position;
    }

    /// <summary>The topic whose subscribers receive the push.</summary>
    public string Channel { get; }

    /// <summary>The application's event name; pushex.js calls the bindings registered for it.</summary>
    public string Event => Content.Event;

    /// <summary>The data as UTF-8 JSON (any JSON value, <c>null</c> included).</summary>
    public ReadOnlyMemory<byte> Data => Content.Data;

    /// <summary>When PushEx accepted the push, in Unix milliseconds.</summary>
    public long UnixMsAcceptedAt { get; }

    /// <summary>
    /// The push's place in its topic's history; null when the topic keeps no history. Set once, by the pub/sub adapter,
    /// before any subscriber receives the push.
    /// </summary>
    public StreamPosition? Position { get; private set; }

    /// <summary>The event and data, shared with the other pushes of the same API call (unless made with a position).</summary>
    internal PushContent Content { get; }

    /// <summary>
    /// The payload of the <c>"msg"</c> frame: <c>{"data":…,"event":…}</c>, with <c>"offset"</c> and <c>"epoch"</c> once
    /// the push has a position. The same for every subscriber, so a fan-out still encodes it once.
    /// </summary>
    internal ReadOnlyMemory<byte> MsgPayload { get; private set; }

    /// <summary>Gives the push its place in the topic's history; the adapter calls it before the push is delivered.</summary>
    internal void AssignPosition(StreamPosition position)
    {
        Position = position;
        MsgPayload = Content.WithPosition(position);
    }

    /// <summary>True when <paramref name="json"/> is exactly one valid JSON value, as a push's data must be.</summary>
    internal static bool IsValidData(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Channel} {Event} {Encoding.UTF8.GetString(Data.Span)}";
}
