using System.Buffers.Binary;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Writes client WebSocket frames (RFC 6455 §5.2) byte by byte, including the ones a conforming client never sends:
/// any opcode and RSV bits, no mask, a length that is not the payload's or not in its shortest form.
/// </summary>
internal static class ClientFrames
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    /// <summary>A frame. <paramref name="declaredLength"/> replaces the payload's length in the header; <paramref name="lengthBytes"/> forces 0 (7-bit), 2 or 8 length bytes.</summary>
    public static byte[] Frame(
        Random random,
        byte opcode,
        ReadOnlySpan<byte> payload,
        bool fin = true,
        int rsv = 0,
        bool masked = true,
        ulong? declaredLength = null,
        int? lengthBytes = null)
    {
        var length = declaredLength ?? (ulong)payload.Length;
        var extended = lengthBytes ?? (length <= 125 ? 0 : length <= ushort.MaxValue ? 2 : 8);
        var frame = new byte[2 + extended + (masked ? 4 : 0) + payload.Length];
        frame[0] = (byte)((fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0xF));
        frame[1] = (byte)((masked ? 0x80 : 0) | extended switch { 0 => (int)Math.Min(length, 125), 2 => 126, _ => 127 });
        if (extended == 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)length);
        }
        else if (extended == 8)
        {
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), length);
        }

        var offset = 2 + extended;
        if (masked)
        {
            Span<byte> key = stackalloc byte[4];
            random.NextBytes(key);
            key.CopyTo(frame.AsSpan(offset));
            offset += 4;
            for (var i = 0; i < payload.Length; i++)
            {
                frame[offset + i] = (byte)(payload[i] ^ key[i & 3]);
            }
        }
        else
        {
            payload.CopyTo(frame.AsSpan(offset));
        }

        return frame;
    }

    /// <summary>A close frame with a code and reason, as a client sends at the end of a session.</summary>
    public static byte[] CloseFrame(Random random, ushort code = 1000)
    {
        Span<byte> payload = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        return Frame(random, Close, payload);
    }
}
