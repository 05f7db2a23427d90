using System.Buffers;
using System.Text;
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
    public PushContent(string @event, ReadOnlySpan<byte> data)
    {
        // {"data":,"event":""} is 20 bytes; the rest of the margin covers a few escaped characters in the event.
        var buffer = new ArrayBufferWriter<byte>(32 + Encoding.UTF8.GetByteCount(@event) + data.Length);
        int dataEnd;
        using (var writer = new Utf8JsonWriter(buffer, PhoenixSerializer.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("data"u8);
            writer.WriteRawValue(data, skipInputValidation: true);
            writer.Flush();
            dataEnd = buffer.WrittenCount;
            writer.WriteString("event"u8, @event);
            writer.WriteEndObject();
        }

        Event = @event;
        MsgPayload = buffer.WrittenMemory;

        // A raw value is copied verbatim, so the data is the bytes just before where the writer stood.
        Data = MsgPayload[(dataEnd - data.Length)..dataEnd];
    }

    public string Event { get; }

    /// <summary>The data as UTF-8 JSON, exactly as given (a slice of <see cref="MsgPayload"/>).</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The payload of the <c>"msg"</c> frame, the same for every protocol version and subscriber.</summary>
    public ReadOnlyMemory<byte> MsgPayload { get; }

    /// <summary>The payload with the push's place in its topic's history: <c>{"data":…,"event":…,"offset":17,"epoch":"…"}</c>.</summary>
    public ReadOnlyMemory<byte> WithPosition(StreamPosition position)
    {
        var buffer = new ArrayBufferWriter<byte>(MsgPayload.Length + 48 + position.Epoch.Length);
        using (var writer = new Utf8JsonWriter(buffer, PhoenixSerializer.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("data"u8);
            writer.WriteRawValue(Data.Span, skipInputValidation: true);
            writer.WriteString("event"u8, Event);
            writer.WriteNumber("offset"u8, position.Offset);
            writer.WriteString("epoch"u8, position.Epoch);
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}
