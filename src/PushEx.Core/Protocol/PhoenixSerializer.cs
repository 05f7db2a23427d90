using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PushEx.Protocol;

/// <summary>
/// Turns client frames into <see cref="ClientMessage"/>s and writes server frames (PROTOCOL.md §2).
/// Pure and synchronous: bytes in, bytes out, no I/O. One instance per version, shared by every connection.
/// </summary>
internal abstract class PhoenixSerializer
{
    /// <summary>Writer settings for every frame: no indentation, and no HTML escaping, since frames never reach an HTML parser.</summary>
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>The protocol version this serializer speaks.</summary>
    public abstract ProtocolVersion Version { get; }

    /// <summary>Decodes one complete client frame; false when the frame does not follow the protocol.</summary>
    public abstract bool TryDecode(ReadOnlyMemory<byte> frame, bool isBinary, [NotNullWhen(true)] out ClientMessage? message);

    /// <summary>
    /// Writes the <c>phx_reply</c> that answers <paramref name="request"/> (same ref and topic, echoed exactly,
    /// even a non-string topic) as a text frame: <c>{"status": status, "response": response}</c>.
    /// </summary>
    public abstract void WriteReply(IBufferWriter<byte> output, ClientMessage request, string? joinRef, string status, ReadOnlySpan<byte> response);

    /// <summary>Writes a server-originated text frame (a channel push, <c>phx_close</c>, <c>phx_error</c>).</summary>
    public abstract void WriteMessage(IBufferWriter<byte> output, string? joinRef, string? @ref, string topic, string @event, ReadOnlySpan<byte> payload);

    /// <summary>
    /// Encodes what every subscriber of a fan-out shares: the frame of a server push with ref null, except the
    /// part that depends on the subscriber's join ref. The subscriber's frame is
    /// <see cref="EncodeJoinRefPrefix"/> followed by these bytes.
    /// </summary>
    public abstract ReadOnlyMemory<byte> EncodeSharedPush(string topic, string @event, ReadOnlySpan<byte> payload);

    /// <summary>The per-subscriber start of a fan-out frame (see <see cref="EncodeSharedPush"/>); computed once per join.</summary>
    public abstract ReadOnlyMemory<byte> EncodeJoinRefPrefix(string? joinRef);

    /// <summary>
    /// Reads a topic: any JSON value (a non-string one matches no route, and is echoed as it came), as the string it
    /// is, or null; false when a string in it is not Unicode.
    /// </summary>
    protected static bool TryReadTopic(ref Utf8JsonReader reader, ReadOnlyMemory<byte> frame, out string? topic, out ReadOnlyMemory<byte> raw)
    {
        topic = null;
        if (!TryReadRawValue(ref reader, frame, out raw))
        {
            return false;
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            topic = reader.GetString();
        }

        return true;
    }

    /// <summary>Writes a JSON string, or null.</summary>
    protected static void WriteNullableString(Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    /// <summary>Writes the request's topic as it came: a string, or the raw JSON value it was.</summary>
    protected static void WriteTopic(Utf8JsonWriter writer, ClientMessage request)
    {
        if (request.Topic is not null)
        {
            writer.WriteStringValue(request.Topic);
        }
        else
        {
            writer.WriteRawValue(request.RawTopic.Span, skipInputValidation: true);
        }
    }

    /// <summary>Writes <c>{"status":…,"response":…}</c>.</summary>
    protected static void WriteReplyPayload(Utf8JsonWriter writer, string status, ReadOnlySpan<byte> response)
    {
        writer.WriteStartObject();
        writer.WriteString("status"u8, status);
        writer.WritePropertyName("response"u8);
        writer.WriteRawValue(response, skipInputValidation: true);
        writer.WriteEndObject();
    }

    /// <summary>Reads a JSON string; false for any other token, or a string that is not Unicode (<see cref="JsonStrings"/>).</summary>
    protected static bool TryReadString(ref Utf8JsonReader reader, [NotNullWhen(true)] out string? value)
    {
        value = reader.TokenType == JsonTokenType.String && JsonStrings.IsValid(in reader) ? reader.GetString() : null;
        return value is not null;
    }

    /// <summary>Reads a JSON string or null; false for any other token, or a string that is not Unicode.</summary>
    protected static bool TryReadNullableString(ref Utf8JsonReader reader, out string? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            return false;
        }

        return TryReadString(ref reader, out value);
    }

    /// <summary>
    /// Reads the value at the reader's current token (which must be its first token) and returns the exact
    /// bytes of that value; false when a string in it is not Unicode. The reader is left on the value's last token.
    /// </summary>
    protected static bool TryReadRawValue(ref Utf8JsonReader reader, ReadOnlyMemory<byte> frame, out ReadOnlyMemory<byte> raw)
    {
        raw = default;
        var start = (int)reader.TokenStartIndex;
        if (!JsonStrings.TrySkipChecked(ref reader))
        {
            return false;
        }

        var end = (int)reader.BytesConsumed;
        raw = frame[start..end];
        return true;
    }
}
