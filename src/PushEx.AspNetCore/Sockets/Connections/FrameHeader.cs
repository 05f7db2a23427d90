using System.Buffers;
using System.Buffers.Binary;

namespace PushEx.AspNetCore.Sockets.Connections;

/// <summary>
/// The head of one WebSocket frame (RFC 6455 §5.2): FIN, the RSV bits, the opcode, the mask key and the payload
/// length. <see cref="TryRead"/> parses it from the front of the bytes received; judging it is the reader's job.
/// </summary>
internal readonly record struct FrameHeader(bool Fin, int Rsv, FrameOpcode Opcode, bool Masked, uint MaskKey, ulong PayloadLength, int Length)
{
    /// <summary>The longest head: 2 bytes, 8 of length, 4 of mask key.</summary>
    public const int MaxLength = 14;

    /// <summary>The longest payload a control frame may carry (§5.5).</summary>
    public const int MaxControlPayload = 125;

    public bool IsControl => ((byte)Opcode & 0x8) != 0;

    /// <summary>Parses the head at the start of <paramref name="buffer"/>; false when not all of it has arrived yet.</summary>
    public static bool TryRead(in ReadOnlySequence<byte> buffer, out FrameHeader header)
    {
        header = default;
        if (buffer.Length < 2)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[MaxLength];
        var available = (int)Math.Min(buffer.Length, MaxLength);
        buffer.Slice(0, available).CopyTo(head);

        var masked = (head[1] & 0x80) != 0;
        var shortLength = head[1] & 0x7F;
        var lengthBytes = shortLength switch { 126 => 2, 127 => 8, _ => 0 };
        var length = 2 + lengthBytes + (masked ? 4 : 0);
        if (available < length)
        {
            return false;
        }

        ulong payloadLength = lengthBytes switch
        {
            2 => BinaryPrimitives.ReadUInt16BigEndian(head[2..]),
            8 => BinaryPrimitives.ReadUInt64BigEndian(head[2..]),
            _ => (ulong)shortLength,
        };

        // The key is kept in wire order, so byte i of the payload is unmasked with byte (i % 4) of the key.
        var maskKey = masked ? BinaryPrimitives.ReadUInt32LittleEndian(head[(2 + lengthBytes)..]) : 0;
        header = new FrameHeader(
            Fin: (head[0] & 0x80) != 0,
            Rsv: (head[0] >> 4) & 0x7,
            Opcode: (FrameOpcode)(head[0] & 0xF),
            Masked: masked,
            MaskKey: maskKey,
            PayloadLength: payloadLength,
            Length: length);
        return true;
    }

    /// <summary>
    /// Unmasks <paramref name="payload"/> into <paramref name="destination"/>; <paramref name="offset"/> is how far
    /// into the frame's payload the bytes start (a payload may arrive in several pieces).
    /// </summary>
    public void Unmask(in ReadOnlySequence<byte> payload, Span<byte> destination, long offset = 0)
    {
        Span<byte> key = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(key, MaskKey);
        var position = (int)(offset & 3);
        var written = 0;
        foreach (var segment in payload)
        {
            var source = segment.Span;
            for (var i = 0; i < source.Length; i++)
            {
                destination[written + i] = (byte)(source[i] ^ key[position]);
                position = (position + 1) & 3;
            }

            written += source.Length;
        }
    }
}

/// <summary>The opcodes of RFC 6455 §5.2; every other value is reserved.</summary>
internal enum FrameOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}
