using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace PushEx.Protocol;

/// <summary>
/// vsn 1.0.x (or no vsn): frames are JSON objects (PROTOCOL.md §2.3). A client frame must carry
/// <c>topic</c>, <c>event</c>, <c>payload</c> and <c>ref</c> (ref may be null); <c>join_ref</c> is optional.
/// Server frames never carry <c>join_ref</c>. V1 has no binary frames.
/// </summary>
internal sealed class V1JsonSerializer : PhoenixSerializer
{
    public static readonly V1JsonSerializer Instance = new();

    private V1JsonSerializer()
    {
    }

    public override ProtocolVersion Version => ProtocolVersion.V1;

    public override bool TryDecode(ReadOnlyMemory<byte> frame, bool isBinary, [NotNullWhen(true)] out ClientMessage? message)
    {
        message = null;
        if (isBinary)
        {
            return false;
        }

        try
        {
            return TryDecodeText(frame, out message);
        }
        catch (JsonException)
        {
            message = null;
            return false;
        }
    }

    private static bool TryDecodeText(ReadOnlyMemory<byte> frame, [NotNullWhen(true)] out ClientMessage? message)
    {
        message = null;
        var reader = new Utf8JsonReader(frame.Span, new JsonReaderOptions { MaxDepth = 64 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        string? joinRef = null, @ref = null, topic = null, @event = null;
        ReadOnlyMemory<byte> rawTopic = default, payload = default;
        bool hasTopic = false, hasEvent = false, hasPayload = false, hasRef = false;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            var escaped = reader.ValueIsEscaped;
            if (!JsonStrings.IsValid(in reader) || !reader.Read())
            {
                return false;
            }

            if (!escaped && name.SequenceEqual("topic"u8))
            {
                hasTopic = true;
                if (!TryReadTopic(ref reader, frame, out topic, out rawTopic))
                {
                    return false;
                }
            }
            else if (!escaped && name.SequenceEqual("event"u8))
            {
                if (!TryReadString(ref reader, out @event))
                {
                    return false;
                }

                hasEvent = true;
            }
            else if (!escaped && name.SequenceEqual("payload"u8))
            {
                hasPayload = true;
                if (!TryReadRawValue(ref reader, frame, out payload))
                {
                    return false;
                }
            }
            else if (!escaped && name.SequenceEqual("ref"u8))
            {
                hasRef = true;
                if (!TryReadNullableString(ref reader, out @ref))
                {
                    return false;
                }
            }
            else if (!escaped && name.SequenceEqual("join_ref"u8))
            {
                if (!TryReadNullableString(ref reader, out joinRef))
                {
                    return false;
                }
            }
            else if (!JsonStrings.TrySkipChecked(ref reader))
            {
                return false;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            return false;
        }

        if (!(hasTopic && hasEvent && hasPayload && hasRef))
        {
            return false;
        }

        message = new ClientMessage
        {
            JoinRef = joinRef,
            Ref = @ref,
            Topic = topic,
            RawTopic = rawTopic,
            Event = @event!,
            Payload = payload,
        };
        return true;
    }

    public override void WriteReply(IBufferWriter<byte> output, ClientMessage request, string? joinRef, string status, ReadOnlySpan<byte> response)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WritePropertyName("topic"u8);
        WriteTopic(writer, request);
        writer.WriteString("event"u8, "phx_reply"u8);
        writer.WritePropertyName("payload"u8);
        WriteReplyPayload(writer, status, response);
        writer.WritePropertyName("ref"u8);
        WriteNullableString(writer, request.Ref);
        writer.WriteEndObject();
    }

    // V1 frames carry no join ref, so the whole frame is shared by every subscriber.
    public override ReadOnlyMemory<byte> EncodeSharedPush(string topic, string @event, ReadOnlySpan<byte> payload)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + topic.Length + @event.Length + payload.Length);
        WriteMessage(buffer, joinRef: null, @ref: null, topic, @event, payload);
        return buffer.WrittenMemory;
    }

    public override ReadOnlyMemory<byte> EncodeJoinRefPrefix(string? joinRef) => ReadOnlyMemory<byte>.Empty;

    public override void WriteMessage(IBufferWriter<byte> output, string? joinRef, string? @ref, string topic, string @event, ReadOnlySpan<byte> payload)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("topic"u8, topic);
        writer.WriteString("event"u8, @event);
        writer.WritePropertyName("payload"u8);
        writer.WriteRawValue(payload, skipInputValidation: true);
        writer.WritePropertyName("ref"u8);
        WriteNullableString(writer, @ref);
        writer.WriteEndObject();
    }
}
