using System.Buffers.Binary;
using System.Text;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// Raw WebSocket framing for one connection: a few valid frames, then frames RFC 6455 forbids or the server must
/// refuse: reserved opcodes and RSV bits, unmasked client frames, control frames over 125 bytes or fragmented,
/// orphan continuations, a new message inside a fragmented one, messages over MaxFrameBytes, 64-bit lengths
/// (with the top bit set, or larger than what follows), non-minimal lengths, and bad close payloads (one byte,
/// codes that may not be sent, a reason that is not UTF-8 or too long).
/// </summary>
internal sealed class WebSocketFramingGenerator(Random random, int maxFrameBytes)
{
    private static readonly ushort[] InvalidCloseCodes = [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535];
    private static readonly byte[] Heartbeat = Encoding.UTF8.GetBytes("""[null,"1","phoenix","heartbeat",{}]""");

    /// <summary>The frames, and whether they end inside a frame (a length larger than what follows).</summary>
    public (List<byte[]> Frames, bool EndsMidFrame) Next()
    {
        var frames = Enumerable.Range(0, random.Next(0, 4)).Select(_ => ClientFrames.Frame(random, ClientFrames.Text, Heartbeat)).ToList();
        var endsMidFrame = false;
        switch (random.Next(14))
        {
            case 0:
                byte[] reserved = [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF];
                frames.Add(ClientFrames.Frame(random, reserved[random.Next(reserved.Length)], Bytes(random.Next(0, 40))));
                break;
            case 1:
                frames.Add(ClientFrames.Frame(random, ClientFrames.Text, Heartbeat, rsv: random.Next(1, 8)));
                break;
            case 2:
                frames.Add(ClientFrames.Frame(random, random.Next(2) == 0 ? ClientFrames.Text : ClientFrames.Ping, Heartbeat, masked: false));
                break;
            case 3:
                frames.Add(ClientFrames.Frame(random, ControlOpcode(), Bytes(random.Next(126, 2000))));
                break;
            case 4:
                frames.Add(ClientFrames.Frame(random, ControlOpcode(), Bytes(random.Next(0, 20)), fin: false));
                break;
            case 5:
                frames.Add(ClientFrames.Frame(random, ClientFrames.Continuation, Heartbeat, fin: random.Next(2) == 0));
                break;
            case 6:
                frames.Add(ClientFrames.Frame(random, ClientFrames.Text, Heartbeat.AsSpan(0, 5), fin: false));
                frames.Add(ClientFrames.Frame(random, random.Next(2) == 0 ? ClientFrames.Text : ClientFrames.Binary, Heartbeat));
                break;
            case 7:
                // One frame past the limit, or a message whose fragments pass it together.
                var size = maxFrameBytes + random.Next(1, 4096);
                if (random.Next(2) == 0)
                {
                    frames.Add(ClientFrames.Frame(random, ClientFrames.Text, Encoding.UTF8.GetBytes(new string('a', size))));
                }
                else
                {
                    var pieces = random.Next(2, 10);
                    for (var i = 0; i < pieces; i++)
                    {
                        frames.Add(ClientFrames.Frame(random, i == 0 ? ClientFrames.Binary : ClientFrames.Continuation, Bytes(size / pieces + 1), fin: i == pieces - 1));
                    }
                }

                break;
            case 8:
                ulong[] lengths = [ulong.MaxValue, 1UL << 63, (1UL << 32) + 5, (ulong)maxFrameBytes + 1, 1UL << 40];
                frames.Add(ClientFrames.Frame(random, random.Next(2) == 0 ? ClientFrames.Text : ClientFrames.Binary, Bytes(random.Next(0, 100)), declaredLength: lengths[random.Next(lengths.Length)], lengthBytes: 8));
                endsMidFrame = true;
                break;
            case 9:
                // The shortest form is required (RFC 6455 §5.2); a 7-bit length written in 16 or 64 bits is not it.
                frames.Add(ClientFrames.Frame(random, ClientFrames.Text, Heartbeat, lengthBytes: random.Next(2) == 0 ? 2 : 8));
                break;
            case 10:
                frames.Add(BadClose());
                break;
            case 11:
                frames.Add(ClientFrames.Frame(random, random.Next(2) == 0 ? ClientFrames.Ping : ClientFrames.Pong, Bytes(random.Next(0, 126))));
                frames.Add(ClientFrames.Frame(random, ClientFrames.Text, Heartbeat));
                break;
            case 12:
                // A message split inside a multi-byte character (valid), or with bytes that are not UTF-8 (1007).
                var text = Encoding.UTF8.GetBytes("""[null,"1","phoenix","heartbeat",{"x":"é😀"}]""");
                if (random.Next(2) == 0)
                {
                    text = FuzzJson.Mutate(text, random);
                }

                var cut = text.Length < 2 ? text.Length : random.Next(1, text.Length);
                frames.Add(ClientFrames.Frame(random, ClientFrames.Text, text.AsSpan(0, cut), fin: false));
                frames.Add(ClientFrames.Frame(random, ClientFrames.Continuation, text.AsSpan(cut)));
                break;
            default:
                frames.Add(Bytes(random.Next(1, 64)));
                endsMidFrame = true;
                break;
        }

        return (frames, endsMidFrame);
    }

    private byte ControlOpcode() => random.Next(3) switch { 0 => ClientFrames.Ping, 1 => ClientFrames.Pong, _ => ClientFrames.Close };

    private byte[] BadClose()
    {
        switch (random.Next(4))
        {
            case 0:
                return ClientFrames.Frame(random, ClientFrames.Close, [(byte)random.Next(256)]);
            case 1:
                var code = new byte[2];
                BinaryPrimitives.WriteUInt16BigEndian(code, InvalidCloseCodes[random.Next(InvalidCloseCodes.Length)]);
                return ClientFrames.Frame(random, ClientFrames.Close, code);
            case 2:
                return ClientFrames.Frame(random, ClientFrames.Close, [0x03, 0xE8, 0xFF, 0xC0, 0xED, 0xA0, 0x80]);
            default:
                return ClientFrames.Frame(random, ClientFrames.Close, [0x03, 0xE8, .. Encoding.UTF8.GetBytes(new string('r', random.Next(124, 200)))]);
        }
    }

    private byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
