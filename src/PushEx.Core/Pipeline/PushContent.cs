using System.Globalization;
using System.Text.Json;
using PushEx.History;
using PushEx.Protocol;

namespace PushEx.Pipeline;

/// <summary>
/// The part of a push that does not depend on its channel: the event, the data, and the <c>"msg"</c> payload
/// <c>{"data": …, "event": …}</c> built from them. The pushes of one API call (one per channel) share one instance,
/// so the payload is built once per call, not once per channel.
/// </summary>
/// <remarks>
/// The payload is built in the constructor and nothing changes afterwards: its size is known when the push is accepted
/// (<see cref="PushExOptions.MaxPushBytes"/>), and the workers of different channels read it with no lazily written
/// field to race on. The data is copied once, into the payload, so a caller may reuse its buffer as soon as this returns.
/// </remarks>
internal sealed class PushContent
{
    /// <summary>Content to be shared by the pushes of one call; each gets its position later (<see cref="WithPosition"/>).</summary>
    public PushContent(string @event, ReadOnlySpan<byte> data)
        : this(@event, data, position: null)
    {
    }

    /// <summary>
    /// Content of one push whose position is known already (received from another node, or read back from the
    /// history): its payload carries the position, built once.
    /// </summary>
    public PushContent(string @event, ReadOnlySpan<byte> data, StreamPosition? position)
    {
        Event = @event;
        MsgPayload = Build(@event, data, position);
        Data = MsgPayload.Slice(DataPrefix.Length, data.Length);
    }

    public string Event { get; }

    /// <summary>The data as UTF-8 JSON, exactly as given (a slice of <see cref="MsgPayload"/>).</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>
    /// The payload of the <c>"msg"</c> frame, the same for every protocol version and subscriber; with the position when
    /// the content was made with one.
    /// </summary>
    public ReadOnlyMemory<byte> MsgPayload { get; }

    /// <summary>The payload with the push's place in its topic's history: <c>{"data":…,"event":…,"offset":17,"epoch":"…"}</c>.</summary>
    public ReadOnlyMemory<byte> WithPosition(StreamPosition position) => Build(Event, Data.Span, position);

    private static ReadOnlySpan<byte> DataPrefix => """{"data":"""u8;

    private static ReadOnlySpan<byte> EventPrefix => ",\"event\":\""u8;

    private static ReadOnlySpan<byte> OffsetPrefix => ""","offset":"""u8;

    private static ReadOnlySpan<byte> EpochPrefix => ",\"epoch\":\""u8;

    // Written by hand into an array of the exact size: a push is kept in its topic's history for minutes, and a
    // Utf8JsonWriter's buffer would hold at least 256 bytes, or twice the data, whatever the payload's length.
    private static byte[] Build(string @event, ReadOnlySpan<byte> data, StreamPosition? position)
    {
        var eventJson = JsonEncodedText.Encode(@event, PhoenixSerializer.WriterOptions.Encoder).EncodedUtf8Bytes;
        Span<byte> offset = stackalloc byte[20];
        var offsetLength = 0;
        var epochJson = ReadOnlySpan<byte>.Empty;
        var positionLength = 0;
        if (position is { } at)
        {
            at.Offset.TryFormat(offset, out offsetLength, provider: CultureInfo.InvariantCulture);
            epochJson = JsonEncodedText.Encode(at.Epoch, PhoenixSerializer.WriterOptions.Encoder).EncodedUtf8Bytes;
            positionLength = OffsetPrefix.Length + offsetLength + EpochPrefix.Length + epochJson.Length + 1;
        }

        var payload = new byte[DataPrefix.Length + data.Length + EventPrefix.Length + eventJson.Length + 1 + positionLength + 1];
        var written = Append(payload, 0, DataPrefix);
        written = Append(payload, written, data);
        written = Append(payload, written, EventPrefix);
        written = Append(payload, written, eventJson);
        written = Append(payload, written, "\""u8);
        if (position is not null)
        {
            written = Append(payload, written, OffsetPrefix);
            written = Append(payload, written, offset[..offsetLength]);
            written = Append(payload, written, EpochPrefix);
            written = Append(payload, written, epochJson);
            written = Append(payload, written, "\""u8);
        }

        Append(payload, written, "}"u8);
        return payload;
    }

    private static int Append(byte[] payload, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(payload.AsSpan(at));
        return at + bytes.Length;
    }
}
