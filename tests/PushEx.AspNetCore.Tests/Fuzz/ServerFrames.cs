using System.Buffers.Binary;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// What the server wrote on one fuzzed WebSocket connection, read back from the raw bytes: the frames must be well
/// formed (unmasked, known opcodes, lengths that add up) and a close must carry a code a client may see on the wire.
/// A server error (1011) is a failure: no client input may cause one.
/// </summary>
internal sealed class ServerFrames
{
    private ServerFrames(int frames, ushort? closeCode)
    {
        Frames = frames;
        CloseCode = closeCode;
    }

    /// <summary>Frames the server wrote after its close frame (see <see cref="Parse"/>).</summary>

    /// <summary>The close code of a close frame without a payload (RFC 6455 §7.1.5).</summary>
    public const ushort NoCode = 1005;

    public int Frames { get; }

    /// <summary>The code of the server's close frame; null when it closed the connection without one.</summary>
    public ushort? CloseCode { get; }

    // wasReset: the connection ended in a reset, which may cut the last frame short; only whole frames are read then.
    public static ServerFrames Parse(ReadOnlySpan<byte> bytes, bool wasReset = false)
    {
        var frames = 0;
        ushort? closeCode = null;
        while (bytes.Length > 0)
        {
            if (wasReset && bytes.Length < 10 && (bytes.Length < 2 || bytes.Length < 2 + ((bytes[1] & 0x7F) switch { 126 => 2, 127 => 8, _ => 0 })))
            {
                break;
            }

            Assert.True(bytes.Length >= 2, "The server's last frame is cut short.");
            var opcode = bytes[0] & 0xF;
            Assert.True((bytes[0] & 0x70) == 0, $"The server set RSV bits: 0x{bytes[0]:X2}.");
            Assert.True((bytes[1] & 0x80) == 0, "The server masked a frame.");
            Assert.True(opcode is 0x0 or 0x1 or 0x2 or 0x8 or 0x9 or 0xA, $"The server sent opcode 0x{opcode:X}.");
            // RFC 6455 §5.5.1: nothing may follow a close. (Once a race after the WebSocket's own 1002 and 1007, now
            // fenced off in ClientActivityStream; WebSocketOwnCloseTests provokes it.)
            Assert.True(closeCode is null, $"The server sent a frame (opcode 0x{opcode:X}) after its close frame ({closeCode}).");
            long length = bytes[1] & 0x7F;
            var header = 2;
            if (length == 126)
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
                header = 4;
            }
            else if (length == 127)
            {
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]);
                header = 10;
            }

            if (wasReset && bytes.Length < header + length)
            {
                break;
            }

            Assert.True(bytes.Length >= header + length, $"The server's frame claims {length} bytes; {bytes.Length - header} came.");
            var payload = bytes.Slice(header, (int)length);
            if (opcode == 0x8 && closeCode is null)
            {
                Assert.True(payload.Length is 0 or >= 2, "The server's close frame has a 1-byte payload.");
                closeCode = payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : NoCode;
                Assert.True(payload.Length == 0 || IsAllowed(closeCode.Value), $"The server closed with {closeCode}.");
            }

            frames++;
            bytes = bytes[(header + (int)length)..];
        }

        return new ServerFrames(frames, closeCode);
    }

    // 1011 (server error) is what a crash looks like; 1005, 1006 and 1015 never go on the wire; 1004 and 1016–2999
    // are not defined. 3000–4999 are the client's own codes, which the server echoes when answering its close.
    private static bool IsAllowed(ushort code) =>
        code is 1000 or 1001 or 1002 or 1003 or 1007 or 1008 or 1009 or 1010 or 1012 or 1013 or 1014 or (>= 3000 and <= 4999);
}
