using System.Buffers.Binary;
using System.Text;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>One WebSocket frame as the server wrote it (RFC 6455 §5.2), read by <see cref="RawWebSocket"/>.</summary>
internal sealed record ReceivedFrame(bool Fin, int Rsv, byte Opcode, byte[] Payload)
{
    /// <summary>The payload as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Payload);

    /// <summary>The code of a close frame; null when its payload is empty (no code given).</summary>
    public ushort? CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

    public override string ToString() =>
        $"opcode 0x{Opcode:X}{(Fin ? string.Empty : " (FIN=0)")}, {Payload.Length} bytes"
        + (Opcode == ClientFrames.Close ? $", code {CloseCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}" : string.Empty)
        + (Opcode == ClientFrames.Text && Payload.Length <= 200 ? $": {Text}" : string.Empty);
}
