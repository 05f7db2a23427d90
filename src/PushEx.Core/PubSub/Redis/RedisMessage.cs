using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;
using PushEx.History;
using PushEx.Pipeline;

namespace PushEx.PubSub.Redis;

/// <summary>
/// The messages nodes exchange over Redis, in a small binary form: <c>'P' 0x01 kind node-id(16)</c>, then
/// <list type="bullet">
/// <item>a push (kind 1): <c>accepted-unix-ms(8, LE) event-length(2, LE) event data</c>;</item>
/// <item>a positioned push (kind 3, a topic with history): <c>offset(8, LE) epoch-length(1) epoch</c>, then as a push;</item>
/// <item>a disconnect (kind 2): <c>socket-id</c>.</item>
/// </list>
/// The node id lets a node skip the echo of its own plain publishes; the magic and version bytes let it recognise (and
/// log and ignore) anything else published on its channels. A positioned push is built by the publish script in
/// Redis, which alone knows the offset: the node sends <see cref="PositionedPushHead"/> and the script appends the
/// rest, as <see cref="EncodePositionedPush"/> does.
/// </summary>
internal readonly record struct RedisMessage(
    RedisMessageKind Kind,
    Guid Node,
    long UnixMsAcceptedAt,
    string Event,
    ReadOnlyMemory<byte> Data,
    string SocketId,
    StreamPosition? Position = null)
{
    private const byte Magic = (byte)'P';
    private const byte Version = 1;
    private const int HeaderLength = 3 + 16;
    private const int PushBodyHeaderLength = 8 + 2;
    private const int PositionLength = 8 + 1;

    public static byte[] EncodePush(Guid node, string @event, ReadOnlySpan<byte> data, long unixMsAcceptedAt)
    {
        var eventLength = EventByteCount(@event);
        var message = new byte[HeaderLength + PushBodyHeaderLength + eventLength + data.Length];
        WritePushBody(WriteHeader(message, RedisMessageKind.Push, node), @event, eventLength, data, unixMsAcceptedAt);
        return message;
    }

    /// <summary>The whole positioned push: what the publish script sends, written here to state and test the format.</summary>
    public static byte[] EncodePositionedPush(Guid node, StreamPosition position, string @event, ReadOnlySpan<byte> data, long unixMsAcceptedAt)
    {
        var epochLength = Encoding.UTF8.GetByteCount(position.Epoch);
        if (epochLength > byte.MaxValue)
        {
            throw new ArgumentException("The epoch is too long for the backplane.", nameof(position));
        }

        var eventLength = EventByteCount(@event);
        var message = new byte[HeaderLength + PositionLength + epochLength + PushBodyHeaderLength + eventLength + data.Length];
        var span = WriteHeader(message, RedisMessageKind.PositionedPush, node);
        BinaryPrimitives.WriteInt64LittleEndian(span, position.Offset);
        span[8] = (byte)epochLength;
        Encoding.UTF8.GetBytes(position.Epoch, span[PositionLength..]);
        WritePushBody(span[(PositionLength + epochLength)..], @event, eventLength, data, unixMsAcceptedAt);
        return message;
    }

    /// <summary>The first bytes of every positioned push this node publishes; the publish script appends the rest.</summary>
    public static byte[] PositionedPushHead(Guid node)
    {
        var head = new byte[HeaderLength];
        WriteHeader(head, RedisMessageKind.PositionedPush, node);
        return head;
    }

    public static byte[] EncodeDisconnect(Guid node, string socketId)
    {
        var message = new byte[HeaderLength + Encoding.UTF8.GetByteCount(socketId)];
        Encoding.UTF8.GetBytes(socketId, WriteHeader(message, RedisMessageKind.Disconnect, node));
        return message;
    }

    /// <summary>Decodes a message; false for anything that is not a well-formed PushEx message.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> message, [NotNullWhen(true)] out RedisMessage? decoded)
    {
        decoded = null;
        var span = message.Span;
        if (span.Length < HeaderLength || span[0] != Magic || span[1] != Version)
        {
            return false;
        }

        var node = new Guid(span.Slice(3, 16));
        var body = message[HeaderLength..];
        switch ((RedisMessageKind)span[2])
        {
            case RedisMessageKind.Push:
                return TryDecodePush(RedisMessageKind.Push, node, body, position: null, out decoded);
            case RedisMessageKind.PositionedPush when body.Length >= PositionLength:
                var offset = BinaryPrimitives.ReadInt64LittleEndian(body.Span);
                int epochLength = body.Span[8];
                if (offset < 1 || epochLength == 0 || body.Length < PositionLength + epochLength)
                {
                    return false;
                }

                var epoch = body.Span.Slice(PositionLength, epochLength);
                if (!Utf8.IsValid(epoch))
                {
                    return false;
                }

                var position = new StreamPosition(Encoding.UTF8.GetString(epoch), offset);
                return TryDecodePush(RedisMessageKind.PositionedPush, node, body[(PositionLength + epochLength)..], position, out decoded);
            case RedisMessageKind.Disconnect when Utf8.IsValid(body.Span):
                decoded = new RedisMessage(RedisMessageKind.Disconnect, node, 0, string.Empty, default, Encoding.UTF8.GetString(body.Span));
                return true;
            default:
                return false;
        }
    }

    private static bool TryDecodePush(RedisMessageKind kind, Guid node, ReadOnlyMemory<byte> body, StreamPosition? position, [NotNullWhen(true)] out RedisMessage? decoded)
    {
        decoded = null;
        if (body.Length < PushBodyHeaderLength)
        {
            return false;
        }

        var acceptedAt = BinaryPrimitives.ReadInt64LittleEndian(body.Span);
        int eventLength = BinaryPrimitives.ReadUInt16LittleEndian(body.Span[8..]);
        if (body.Length < PushBodyHeaderLength + eventLength || !Utf8.IsValid(body.Span.Slice(PushBodyHeaderLength, eventLength)))
        {
            return false;
        }

        var data = body[(PushBodyHeaderLength + eventLength)..];
        if (!Push.IsValidData(data.Span))
        {
            return false;
        }

        var @event = Encoding.UTF8.GetString(body.Span.Slice(PushBodyHeaderLength, eventLength));
        decoded = new RedisMessage(kind, node, acceptedAt, @event, data, string.Empty, position);
        return true;
    }

    private static int EventByteCount(string @event)
    {
        var eventLength = Encoding.UTF8.GetByteCount(@event);
        if (eventLength > ushort.MaxValue)
        {
            throw new ArgumentException("The event name is too long for the backplane.", nameof(@event));
        }

        return eventLength;
    }

    private static void WritePushBody(Span<byte> span, string @event, int eventLength, ReadOnlySpan<byte> data, long unixMsAcceptedAt)
    {
        BinaryPrimitives.WriteInt64LittleEndian(span, unixMsAcceptedAt);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], (ushort)eventLength);
        Encoding.UTF8.GetBytes(@event, span[PushBodyHeaderLength..]);
        data.CopyTo(span[(PushBodyHeaderLength + eventLength)..]);
    }

    private static Span<byte> WriteHeader(byte[] message, RedisMessageKind kind, Guid node)
    {
        message[0] = Magic;
        message[1] = Version;
        message[2] = (byte)kind;
        node.TryWriteBytes(message.AsSpan(3, 16));
        return message.AsSpan(HeaderLength);
    }
}
