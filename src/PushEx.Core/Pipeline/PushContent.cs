using System.Buffers;
using System.Text.Json;
using PushEx.Protocol;

namespace PushEx.Pipeline;

/// <summary>
/// The part of a push that does not depend on its channel: the event, the data, and the <c>"msg"</c> payload
/// <c>{"data": …, "event": …}</c> built from them on first use. The pushes of one API call (one per channel) share
/// one instance, so the payload is built once per call, not once per channel.
/// </summary>
internal sealed class PushContent(string @event, ReadOnlyMemory<byte> data)
{
    private ReadOnlyMemory<byte> _msgPayload;

    public string Event { get; } = @event;

    public ReadOnlyMemory<byte> Data { get; } = data;

    /// <summary>The payload of the <c>"msg"</c> frame, the same for every protocol version and subscriber.</summary>
    public ReadOnlyMemory<byte> MsgPayload
    {
        get
        {
            // Workers of different channels may race here; both build the same bytes, and either result will do.
            if (_msgPayload.IsEmpty)
            {
                var buffer = new ArrayBufferWriter<byte>(32 + Event.Length + Data.Length);
                using (var writer = new Utf8JsonWriter(buffer, PhoenixSerializer.WriterOptions))
                {
                    writer.WriteStartObject();
                    writer.WritePropertyName("data"u8);
                    writer.WriteRawValue(Data.Span, skipInputValidation: true);
                    writer.WriteString("event"u8, Event);
                    writer.WriteEndObject();
                }

                _msgPayload = buffer.WrittenMemory;
            }

            return _msgPayload;
        }
    }
}
