using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;
using PushEx.Pipeline;

namespace PushEx.PubSub.Redis;

/// <summary>
/// The messages nodes exchange over Redis, in a small binary form:
/// <c>'P' 0x01 kind node-id(16)</c>, then for a push <c>accepted-unix-ms(8, LE) event-length(2, LE) event data</c>,
/// for a disconnect <c>socket-id</c>. The node id lets a node skip the echo of its own publishes; the magic and
/// version bytes let it recognise (and log and ignore) anything else published on its channels.
/// </summary>
internal readonly record struct RedisMessage(RedisMessageKind Kind, Guid Node, long UnixMsAcceptedAt, string Event, ReadOnlyMemory<byte> Data, string SocketId)
{
    private const byte Magic = (byte)'P';
    private const byte Version = 1;
    private const int HeaderLength = 3 + 16;

    public static byte[] EncodePush(Guid node, string @event, ReadOnlySpan<byte> data, long unixMsAcceptedAt)
    {
        var eventLength = Encoding.UTF8.GetByteCount(@event);
        if (eventLength > ushort.MaxValue)
        {
            throw new ArgumentException("The event name is too long for the backplane.", nameof(@event));
        }

        var message = new byte[HeaderLength + 8 + 2 + eventLength + data.Length];
        var span = WriteHeader(message, RedisMessageKind.Push, node);
        BinaryPrimitives.WriteInt64LittleEndian(span, unixMsAcceptedAt);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], (ushort)eventLength);
        Encoding.UTF8.GetBytes(@event, span[10..]);
        data.CopyTo(span[(10 + eventLength)..]);
        return message;
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
            case RedisMessageKind.Push when body.Length >= 10:
                var acceptedAt = BinaryPrimitives.ReadInt64LittleEndian(body.Span);
                int eventLength = BinaryPrimitives.ReadUInt16LittleEndian(body.Span[8..]);
                if (body.Length < 10 + eventLength || !Utf8.IsValid(body.Span.Slice(10, eventLength)))
                {
                    return false;
                }

                var data = body[(10 + eventLength)..];
                if (!Push.IsValidData(data.Span))
                {
                    return false;
                }

                decoded = new RedisMessage(RedisMessageKind.Push, node, acceptedAt, Encoding.UTF8.GetString(body.Span.Slice(10, eventLength)), data, string.Empty);
                return true;
            case RedisMessageKind.Disconnect when Utf8.IsValid(body.Span):
                decoded = new RedisMessage(RedisMessageKind.Disconnect, node, 0, string.Empty, default, Encoding.UTF8.GetString(body.Span));
                return true;
            default:
                return false;
        }
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
