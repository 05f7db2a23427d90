using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace PushEx.Protocol;

/// <summary>
/// vsn 2.0.x: text frames are <c>[join_ref, ref, topic, event, payload]</c> (PROTOCOL.md §2.2); binary
/// frames use <see cref="V2BinaryFrames"/>. Extra array elements after the fifth are ignored, as Phoenix does.
/// </summary>
internal sealed class V2JsonSerializer : PhoenixSerializer
{
    public static readonly V2JsonSerializer Instance = new();

    private static readonly byte[] NullJoinRefPrefix = "[null,"u8.ToArray();

    private V2JsonSerializer()
    {
    }

    public override ProtocolVersion Version => ProtocolVersion.V2;

    public override bool TryDecode(ReadOnlyMemory<byte> frame, bool isBinary, [NotNullWhen(true)] out ClientMessage? message)
    {
        if (isBinary)
        {
            return V2BinaryFrames.TryDecodePush(frame, out message);
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
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        if (!reader.Read() || !TryReadNullableString(ref reader, out var joinRef))
        {
            return false;
        }

        if (!reader.Read() || !TryReadNullableString(ref reader, out var @ref))
        {
            return false;
        }

        if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
        {
            return false;
        }

        if (!TryReadTopic(ref reader, frame, out var topic, out var rawTopic))
        {
            return false;
        }

        if (!reader.Read() || !TryReadString(ref reader, out var @event))
        {
            return false;
        }

        if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray || !TryReadRawValue(ref reader, frame, out var payload))
        {
            return false;
        }

        // Phoenix takes the first five elements and ignores the rest; the frame must still be one valid array.
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!JsonStrings.TrySkipChecked(ref reader))
            {
                return false;
            }
        }

        if (reader.TokenType != JsonTokenType.EndArray || reader.Read())
        {
            return false;
        }

        message = new ClientMessage
        {
            JoinRef = joinRef,
            Ref = @ref,
            Topic = topic,
            RawTopic = rawTopic,
            Event = @event,
            Payload = payload,
        };
        return true;
    }

    public override void WriteReply(IBufferWriter<byte> output, ClientMessage request, string? joinRef, string status, ReadOnlySpan<byte> response)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartArray();
        WriteNullableString(writer, joinRef);
        WriteNullableString(writer, request.Ref);
        WriteTopic(writer, request);
        writer.WriteStringValue("phx_reply"u8);
        WriteReplyPayload(writer, status, response);
        writer.WriteEndArray();
    }

    // A frame [J, null, topic, event, payload] splits into the subscriber's "[J," and the shared "null,topic,event,payload]".
    public override ReadOnlyMemory<byte> EncodeSharedPush(string topic, string @event, ReadOnlySpan<byte> payload)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + topic.Length + @event.Length + payload.Length);
        WriteMessage(buffer, joinRef: null, @ref: null, topic, @event, payload);
        return buffer.WrittenMemory[NullJoinRefPrefix.Length..];
    }

    public override ReadOnlyMemory<byte> EncodeJoinRefPrefix(string? joinRef)
    {
        if (joinRef is null)
        {
            return NullJoinRefPrefix;
        }

        var buffer = new ArrayBufferWriter<byte>(8 + joinRef.Length);
        buffer.Write("["u8);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStringValue(joinRef);
        }

        buffer.Write(","u8);
        return buffer.WrittenMemory;
    }

    public override void WriteMessage(IBufferWriter<byte> output, string? joinRef, string? @ref, string topic, string @event, ReadOnlySpan<byte> payload)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartArray();
        WriteNullableString(writer, joinRef);
        WriteNullableString(writer, @ref);
        writer.WriteStringValue(topic);
        writer.WriteStringValue(@event);
        writer.WriteRawValue(payload, skipInputValidation: true);
        writer.WriteEndArray();
    }
}
