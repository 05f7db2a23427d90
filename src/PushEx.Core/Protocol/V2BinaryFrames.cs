using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace PushEx.Protocol;

/// <summary>
/// V2 binary frames (PROTOCOL.md §2.4). Headers are asymmetric: a client push carries a ref
/// (<c>00 jr r t e …</c>), a server push does not (<c>00 jr t e …</c>); a reply is kind 1, a broadcast kind 2.
/// Every length is one byte, so each string field is at most 255 UTF-8 bytes.
/// </summary>
internal static class V2BinaryFrames
{
    private const byte PushKind = 0;
    private const byte ReplyKind = 1;
    private const byte BroadcastKind = 2;
    private const int MaxFieldBytes = byte.MaxValue;

    /// <summary>Decodes a client push (kind 0, the only kind a client may send).</summary>
    public static bool TryDecodePush(ReadOnlyMemory<byte> frame, [NotNullWhen(true)] out ClientMessage? message)
    {
        message = null;
        var span = frame.Span;
        const int HeaderLength = 5;
        if (span.Length < HeaderLength || span[0] != PushKind)
        {
            return false;
        }

        int joinRefLength = span[1], refLength = span[2], topicLength = span[3], eventLength = span[4];
        var payloadStart = HeaderLength + joinRefLength + refLength + topicLength + eventLength;
        if (span.Length < payloadStart)
        {
            return false;
        }

        var offset = HeaderLength;
        if (!TryReadField(span, ref offset, joinRefLength, out var joinRef)
            || !TryReadField(span, ref offset, refLength, out var @ref)
            || !TryReadField(span, ref offset, topicLength, out var topic)
            || !TryReadField(span, ref offset, eventLength, out var @event))
        {
            return false;
        }

        message = new ClientMessage
        {
            JoinRef = joinRef,
            Ref = @ref,
            Topic = topic,
            RawTopic = frame.Slice(HeaderLength + joinRefLength + refLength, topicLength),
            Event = @event,
            Payload = frame[payloadStart..],
            IsBinary = true,
        };
        return true;
    }

    /// <summary>Writes a server push (kind 0, no ref); false when a field is over 255 bytes.</summary>
    public static bool TryWritePush(IBufferWriter<byte> output, string? joinRef, string topic, string @event, ReadOnlySpan<byte> payload)
    {
        var fields = new FieldLengths(joinRef, null, topic, @event);
        if (!fields.FitsHeader)
        {
            return false;
        }

        var span = output.GetSpan(4 + fields.Total + payload.Length);
        span[0] = PushKind;
        span[1] = (byte)fields.JoinRef;
        span[2] = (byte)fields.Topic;
        span[3] = (byte)fields.Event;
        var offset = 4;
        offset += WriteField(span[offset..], joinRef);
        offset += WriteField(span[offset..], topic);
        offset += WriteField(span[offset..], @event);
        payload.CopyTo(span[offset..]);
        output.Advance(offset + payload.Length);
        return true;
    }

    /// <summary>Writes a server reply (kind 1) whose response is raw bytes; false when a field is over 255 bytes.</summary>
    public static bool TryWriteReply(IBufferWriter<byte> output, string? joinRef, string? @ref, string topic, string status, ReadOnlySpan<byte> response)
    {
        var fields = new FieldLengths(joinRef, @ref, topic, status);
        if (!fields.FitsHeader)
        {
            return false;
        }

        var span = output.GetSpan(5 + fields.Total + response.Length);
        span[0] = ReplyKind;
        span[1] = (byte)fields.JoinRef;
        span[2] = (byte)fields.Ref;
        span[3] = (byte)fields.Topic;
        span[4] = (byte)fields.Event;
        var offset = 5;
        offset += WriteField(span[offset..], joinRef);
        offset += WriteField(span[offset..], @ref);
        offset += WriteField(span[offset..], topic);
        offset += WriteField(span[offset..], status);
        response.CopyTo(span[offset..]);
        output.Advance(offset + response.Length);
        return true;
    }

    /// <summary>Writes a broadcast (kind 2, no join ref, no ref); false when a field is over 255 bytes.</summary>
    public static bool TryWriteBroadcast(IBufferWriter<byte> output, string topic, string @event, ReadOnlySpan<byte> payload)
    {
        var fields = new FieldLengths(null, null, topic, @event);
        if (!fields.FitsHeader)
        {
            return false;
        }

        var span = output.GetSpan(3 + fields.Total + payload.Length);
        span[0] = BroadcastKind;
        span[1] = (byte)fields.Topic;
        span[2] = (byte)fields.Event;
        var offset = 3;
        offset += WriteField(span[offset..], topic);
        offset += WriteField(span[offset..], @event);
        payload.CopyTo(span[offset..]);
        output.Advance(offset + payload.Length);
        return true;
    }

    private static bool TryReadField(ReadOnlySpan<byte> frame, ref int offset, int length, [NotNullWhen(true)] out string? value)
    {
        value = null;
        var bytes = frame.Slice(offset, length);
        if (!Utf8.IsValid(bytes))
        {
            return false;
        }

        value = Encoding.UTF8.GetString(bytes);
        offset += length;
        return true;
    }

    private static int WriteField(Span<byte> destination, string? value) =>
        value is null ? 0 : Encoding.UTF8.GetBytes(value, destination);

    private readonly struct FieldLengths(string? joinRef, string? @ref, string topic, string @event)
    {
        public int JoinRef { get; } = ByteCount(joinRef);

        public int Ref { get; } = ByteCount(@ref);

        public int Topic { get; } = ByteCount(topic);

        public int Event { get; } = ByteCount(@event);

        public int Total => JoinRef + Ref + Topic + Event;

        public bool FitsHeader => JoinRef <= MaxFieldBytes && Ref <= MaxFieldBytes && Topic <= MaxFieldBytes && Event <= MaxFieldBytes;

        private static int ByteCount(string? value) => value is null ? 0 : Encoding.UTF8.GetByteCount(value);
    }
}
