using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;

namespace PushEx.AspNetCore.Sockets.Connections;

/// <summary>Writes server frames (unmasked, unfragmented; RFC 6455 §5.2) straight into a connection's output.</summary>
internal static class ServerFrames
{
    /// <summary>The longest close reason: a control frame carries at most 125 bytes, two of them the code.</summary>
    private const int MaxCloseReasonBytes = FrameHeader.MaxControlPayload - 2;

    /// <summary>Writes one frame whose payload is <paramref name="prefix"/> followed by <paramref name="body"/>.</summary>
    public static void Write(PipeWriter output, FrameOpcode opcode, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> body)
    {
        var length = prefix.Length + body.Length;
        var head = output.GetSpan(10);
        head[0] = (byte)(0x80 | (byte)opcode);
        int headLength;
        if (length <= 125)
        {
            head[1] = (byte)length;
            headLength = 2;
        }
        else if (length <= ushort.MaxValue)
        {
            head[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(head[2..], (ushort)length);
            headLength = 4;
        }
        else
        {
            head[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(head[2..], (ulong)length);
            headLength = 10;
        }

        output.Advance(headLength);
        output.Write(prefix);
        output.Write(body);
    }

    /// <summary>
    /// Writes a close frame with <paramref name="code"/> and <paramref name="reason"/>; a reason too long for a control
    /// frame is left out (it is optional, and PushEx's own are short).
    /// </summary>
    public static void WriteClose(PipeWriter output, ushort code, string reason)
    {
        Span<byte> payload = stackalloc byte[FrameHeader.MaxControlPayload];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        var reasonBytes = Encoding.UTF8.GetByteCount(reason) <= MaxCloseReasonBytes ? Encoding.UTF8.GetBytes(reason, payload[2..]) : 0;
        Write(output, FrameOpcode.Close, payload[..(2 + reasonBytes)], []);
    }
}
