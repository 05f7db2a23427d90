namespace PushEx.AspNetCore.Tests.Sockets;

/// <summary>Base framing (RFC 6455 §5.2; Autobahn 1.x, 3.x, 4.x): lengths in all three forms, RSV bits, opcodes, masking.</summary>
public sealed partial class WebSocketConformanceTests
{
    // Each side of the 7-bit, 16-bit and 64-bit length forms, up to the default frame limit (64 KiB).
    public static TheoryData<int> MessageSizes => [HeartbeatBytes, 125, 126, 127, 128, 65535, 65536];

    public static TheoryData<int, byte> RsvBitsByOpcode =>
        new(from rsv in Enumerable.Range(1, 7) from opcode in new[] { Text, Binary, Ping, Pong, Close } select (rsv, opcode));

    [Theory]
    [MemberData(nameof(MessageSizes))]
    public async Task Text_OfSizeInOneFrame_IsAnswered(int size)
    {
        using var client = await OpenAsync();
        await client.SendAsync(client.Frame(Text, Heartbeat(size: size)));
        await AssertHeartbeatReplyAsync(client);
    }

    [Theory]
    [InlineData(HeartbeatBytes, 1)]
    [InlineData(126, 1)]
    [InlineData(127, 1)]
    [InlineData(65536, 997)]
    public async Task Text_OfSizeInSmallWrites_IsAnswered(int size, int bytesPerWrite)
    {
        using var client = await OpenAsync();
        await client.SendAsync(client.Frame(Text, Heartbeat(size: size)), bytesPerWrite);
        await AssertHeartbeatReplyAsync(client);
    }

    [Theory]
    [InlineData(Text)]
    [InlineData(Binary)]
    public async Task Message_Empty_ClosesWith1002AsMalformed(byte opcode)
    {
        // Valid framing, but not a Phoenix message.
        using var client = await OpenAsync();
        await client.SendFrameAsync(opcode, []);
        await AssertServerClosesAsync(client, ProtocolError);
    }

    [Fact]
    public async Task Binary_NotAV2Push_ClosesWith1002AsMalformed()
    {
        using var client = await OpenAsync();
        await client.SendFrameAsync(Binary, [0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0xFA]);
        await AssertServerClosesAsync(client, ProtocolError);
    }

    [Theory]
    [MemberData(nameof(RsvBitsByOpcode))]
    public async Task Frame_WithRsvBits_ClosesWith1002AndAnswersNothingAfter(int rsv, byte opcode)
    {
        using var client = await OpenAsync();
        byte[] payload = opcode switch
        {
            Close => [0x03, 0xE8],
            Ping or Pong => "rsv"u8.ToArray(),
            _ => Heartbeat("2"),
        };

        // A ping right behind the bad frame: the server must not answer it.
        await client.SendAsync((byte[])[.. client.Frame(opcode, payload, rsv: rsv), .. client.Frame(Ping, "after"u8)]);
        await AssertServerClosesAsync(client, ProtocolError);
    }

    [Fact]
    public async Task Frame_WithRsvBitsRightAfterAMessage_TheMessageIsAnsweredThenClosesWith1002()
    {
        // Written in one piece: the message before the bad frame was whole, so it is answered before the close.
        using var client = await OpenAsync();
        await client.SendAsync((byte[])[.. client.Frame(Text, Heartbeat()), .. client.Frame(Text, Heartbeat("2"), rsv: 1)]);
        await AssertHeartbeatReplyAsync(client);
        await AssertServerClosesAsync(client, ProtocolError);
    }

    [Theory]
    [InlineData(0x3)]
    [InlineData(0x4)]
    [InlineData(0x5)]
    [InlineData(0x6)]
    [InlineData(0x7)]
    [InlineData(0xB)]
    [InlineData(0xC)]
    [InlineData(0xD)]
    [InlineData(0xE)]
    [InlineData(0xF)]
    public async Task Frame_WithReservedOpcode_ClosesWith1002AndAnswersNothingAfter(byte opcode)
    {
        using var client = await OpenAsync();
        await client.SendAsync((byte[])[.. client.Frame(opcode, Heartbeat()), .. client.Frame(Ping, "after"u8)]);
        await AssertServerClosesAsync(client, ProtocolError);
    }

    [Theory]
    [InlineData(Text)]
    [InlineData(Ping)]
    [InlineData(Close)]
    public async Task Frame_Unmasked_ClosesWith1002(byte opcode)
    {
        using var client = await OpenAsync();
        await client.SendAsync(client.Frame(opcode, opcode == Close ? [0x03, 0xE8] : Heartbeat(), masked: false));
        await AssertServerClosesAsync(client, ProtocolError);
    }

    [Fact]
    public async Task Frame_With64BitLengthTopBitSet_ClosesWith1002()
    {
        // RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0. Only the header is sent.
        using var client = await OpenAsync();
        await client.SendAsync(client.Frame(Text, [], declaredLength: 0x8000_0000_0000_0000UL + HeartbeatBytes));
        await AssertServerClosesAsync(client, ProtocolError);
    }
}
