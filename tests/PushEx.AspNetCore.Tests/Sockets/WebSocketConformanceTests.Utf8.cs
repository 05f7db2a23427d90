using System.Text;

namespace PushEx.AspNetCore.Tests.Sockets;

/// <summary>
/// UTF-8 in text messages (RFC 6455 §8.1; Autobahn 6.x): invalid text closes with 1007, as soon as it is seen, even
/// mid-message; valid text is accepted however the fragments cut it.
/// </summary>
public sealed partial class WebSocketConformanceTests
{
    // Multi-byte characters of every length: 2 (κ, ό, σ, μ, ε), 3 (€) and 4 (🎉) bytes.
    private const string MultiByteReference = "κόσμε-€-🎉";

    public static TheoryData<string, byte[]> InvalidUtf8 => new()
    {
        { "lone continuation byte", [0x80] },
        { "overlong '/' in 2 bytes", [0xC0, 0xAF] },
        { "overlong '/' in 3 bytes", [0xE0, 0x80, 0xAF] },
        { "overlong '/' in 4 bytes", [0xF0, 0x80, 0x80, 0xAF] },
        { "overlong NUL", [0xC0, 0x80] },
        { "high surrogate half", [0xED, 0xA0, 0x80] },
        { "low surrogate half", [0xED, 0xBF, 0xBF] },
        { "surrogate pair in 6 bytes", [0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80] },
        { "above U+10FFFF", [0xF4, 0x90, 0x80, 0x80] },
        { "lead byte 0xF5", [0xF5, 0x80, 0x80, 0x80] },
        { "byte 0xFE", [0xFE] },
        { "byte 0xFF", [0xFF] },
        { "3-byte sequence cut short", [0xE2, 0x82, (byte)'x'] },
        { "4-byte sequence cut short", [0xF0, 0x9F, 0x98, (byte)'x'] },
    };

    // Sequences that are a valid beginning: invalid only because the message ends there.
    public static TheoryData<byte[]> TruncatedUtf8 => new() { new byte[] { 0xCE }, new byte[] { 0xE2, 0x82 }, new byte[] { 0xF0, 0x9F, 0x98 } };

    // Characters at the edges of each encoded length, and U+FEFF, U+FFFD, U+FFFF.
    public static TheoryData<string> ValidUtf8Edges => ["\u0080", "\u07FF", "\u0800", "\uFEFF", "\uFFFD", "\uFFFF", "\U00010000", "\U0010FFFF"];

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public async Task Text_WithInvalidUtf8_ClosesWith1007(string sequence, byte[] bytes)
    {
        _ = sequence;
        using var client = await OpenAsync();
        await client.SendFrameAsync(Text, HeartbeatWithRawReference(bytes));
        await AssertServerClosesAsync(client, InvalidPayload);
    }

    [Theory]
    [MemberData(nameof(TruncatedUtf8))]
    public async Task Text_EndingInATruncatedSequence_ClosesWith1007(byte[] bytes)
    {
        using var client = await OpenAsync();
        await client.SendFrameAsync(Text, [.. Heartbeat(), .. bytes]);
        await AssertServerClosesAsync(client, InvalidPayload);
    }

    [Theory]
    [MemberData(nameof(TruncatedUtf8))]
    public async Task Text_WhoseLastFragmentEndsInATruncatedSequence_ClosesWith1007(byte[] bytes)
    {
        using var client = await OpenAsync();
        await client.SendAsync((byte[])[.. client.Frame(Text, Heartbeat(), fin: false), .. client.Frame(Continuation, bytes)]);
        await AssertServerClosesAsync(client, InvalidPayload);
    }

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public async Task Text_WithInvalidUtf8InAnOpenFragment_ClosesWith1007BeforeTheMessageEnds(string sequence, byte[] bytes)
    {
        // The message is never finished: the server must not wait for its end to refuse it.
        _ = sequence;
        using var client = await OpenAsync();
        await client.SendFrameAsync(Text, HeartbeatWithRawReference(bytes), fin: false);
        await AssertServerClosesAsync(client, InvalidPayload);
    }

    [Theory]
    [InlineData(new byte[] { 0xED }, new byte[] { 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xF4, 0x90 }, new byte[] { 0x80, 0x80 })]
    [InlineData(new byte[] { 0xE0, 0x80 }, new byte[] { 0xAF })]
    public async Task Text_WithAnInvalidSequenceSplitAcrossFragments_ClosesWith1007(byte[] first, byte[] second)
    {
        using var client = await OpenAsync();
        await client.SendAsync((byte[])
        [
            .. client.Frame(Text, [.. "[null,\""u8, .. first], fin: false),
            .. client.Frame(Continuation, [.. second, .. "\",\"phoenix\",\"heartbeat\",{}]"u8]),
        ]);
        await AssertServerClosesAsync(client, InvalidPayload);
    }

    [Fact]
    public async Task Text_WithMultiByteCharactersSplitAtEveryBytePosition_IsAnswered()
    {
        using var client = await OpenAsync();
        var heartbeat = Heartbeat(MultiByteReference);
        for (var split = 1; split < heartbeat.Length; split++)
        {
            await client.SendAsync((byte[])[.. client.Frame(Text, heartbeat.AsSpan(0, split), fin: false), .. client.Frame(Continuation, heartbeat.AsSpan(split))]);
            await AssertHeartbeatReplyAsync(client, MultiByteReference);
        }
    }

    [Fact]
    public async Task Text_WithMultiByteCharactersOneBytePerFragment_IsAnswered()
    {
        using var client = await OpenAsync();
        await client.SendAsync(Fragmented(client, Heartbeat(MultiByteReference), fragmentBytes: 1));
        await AssertHeartbeatReplyAsync(client, MultiByteReference);
    }

    [Theory]
    [MemberData(nameof(ValidUtf8Edges))]
    public async Task Text_WithCharacterAtAnEncodingEdge_IsAnswered(string character)
    {
        using var client = await OpenAsync();
        await client.SendFrameAsync(Text, Heartbeat(character));
        await AssertHeartbeatReplyAsync(client, character);
    }

    // A heartbeat whose ref holds the raw bytes: valid JSON around them, so only the UTF-8 check can refuse it.
    private static byte[] HeartbeatWithRawReference(byte[] bytes) =>
        [.. Encoding.UTF8.GetBytes("[null,\"κ"), .. bytes, .. Encoding.UTF8.GetBytes("\",\"phoenix\",\"heartbeat\",{}]")];
}
