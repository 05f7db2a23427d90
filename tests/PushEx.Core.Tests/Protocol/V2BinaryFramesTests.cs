using System.Buffers;
using System.Text;
using PushEx.Protocol;

namespace PushEx.Tests.Protocol;

public sealed class V2BinaryFramesTests
{
    private static readonly string Bytes255 = new('a', 255);
    private static readonly string Bytes256 = new('a', 256);

    // 128 two-byte characters: 128 UTF-16 chars, but 256 UTF-8 bytes.
    private static readonly string TwoByteChars256 = new('é', 128);

    [Fact]
    public void TryDecodePush_ProtocolExample_ReadsEveryField()
    {
        // PROTOCOL.md §2.4: join_ref "1", ref "2", topic "t", event "e", payload 01.
        byte[] frame = [0x00, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0x65, 0x01];

        Assert.True(V2BinaryFrames.TryDecodePush(frame, out var message));

        Assert.Equal("1", message.JoinRef);
        Assert.Equal("2", message.Ref);
        Assert.Equal("t", message.Topic);
        Assert.Equal("t"u8.ToArray(), message.RawTopic.ToArray());
        Assert.Equal("e", message.Event);
        Assert.Equal([0x01], message.Payload.ToArray());
        Assert.True(message.IsBinary);
    }

    [Fact]
    public void TryDecodePush_MissingJoinRef_DecodesAsEmptyString()
    {
        // PROTOCOL.md §2.4: the JS client encodes an undefined join_ref as zero bytes.
        byte[] frame = [0x00, 0x00, 0x01, 0x01, 0x01, 0x32, 0x74, 0x65];

        Assert.True(V2BinaryFrames.TryDecodePush(frame, out var message));

        Assert.Equal(string.Empty, message.JoinRef);
        Assert.Equal("2", message.Ref);
        Assert.Equal("t", message.Topic);
        Assert.Equal("e", message.Event);
        Assert.True(message.Payload.IsEmpty);
    }

    [Fact]
    public void TryDecodePush_MultiByteFields_DecodedAsUtf8()
    {
        var topic = Encoding.UTF8.GetBytes("räum");
        byte[] frame = [0x00, 0x01, 0x01, (byte)topic.Length, 0x01, 0x31, 0x32, .. topic, 0x65, 0xAA, 0xBB];

        Assert.True(V2BinaryFrames.TryDecodePush(frame, out var message));

        Assert.Equal("räum", message.Topic);
        Assert.Equal([0xAA, 0xBB], message.Payload.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 0x01, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0x65, 0x01 })]
    [InlineData(new byte[] { 0x02, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0x65, 0x01 })]
    [InlineData(new byte[] { 0x5B, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0x65, 0x01 })]
    public void TryDecodePush_KindNotPush_ReturnsFalse(byte[] frame)
    {
        // Only kind 0 may come from a client (PROTOCOL.md §2.4).
        Assert.False(V2BinaryFrames.TryDecodePush(frame, out var message));
        Assert.Null(message);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x00 })]
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x00 })]
    public void TryDecodePush_TruncatedHeader_ReturnsFalse(byte[] frame)
    {
        Assert.False(V2BinaryFrames.TryDecodePush(frame, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x01, 0x01, 0x01, 0x02, 0x31, 0x32, 0x74, 0x65 })]
    [InlineData(new byte[] { 0x00, 0xFF, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0x65 })]
    [InlineData(new byte[] { 0x00, 0x01, 0x01, 0x01, 0x01 })]
    public void TryDecodePush_LengthsPastTheEnd_ReturnsFalse(byte[] frame)
    {
        Assert.False(V2BinaryFrames.TryDecodePush(frame, out _));
    }

    [Fact]
    public void TryDecodePush_InvalidUtf8Field_ReturnsFalse()
    {
        byte[] frame = [0x00, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0xFF, 0x65, 0x01];

        Assert.False(V2BinaryFrames.TryDecodePush(frame, out _));
    }

    [Fact]
    public void TryWritePush_ProtocolExample_HasNoRefField()
    {
        // PROTOCOL.md §2.4 and §12 #53: join_ref "1", topic "t", event "e", data 01 02.
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(V2BinaryFrames.TryWritePush(buffer, "1", "t", "e", [0x01, 0x02]));

        Assert.Equal([0x00, 0x01, 0x01, 0x01, 0x31, 0x74, 0x65, 0x01, 0x02], buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void TryWritePush_NullJoinRef_LengthZero()
    {
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(V2BinaryFrames.TryWritePush(buffer, null, "t", "e", []));

        Assert.Equal([0x00, 0x00, 0x01, 0x01, 0x74, 0x65], buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void TryWriteReply_ProtocolExample_MatchesBytes()
    {
        // PROTOCOL.md §2.4: join_ref "1", ref "12", topic "t", status "ok", data AA.
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(V2BinaryFrames.TryWriteReply(buffer, "1", "12", "t", "ok", [0xAA]));

        Assert.Equal([0x01, 0x01, 0x02, 0x01, 0x02, 0x31, 0x31, 0x32, 0x74, 0x6F, 0x6B, 0xAA], buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void TryWriteReply_ChecklistExample_MatchesHeader()
    {
        // PROTOCOL.md §12 #52: a reply to J "1", R "2" on "t" starts 01 01 01 01 02 31 32 74 6F 6B.
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(V2BinaryFrames.TryWriteReply(buffer, "1", "2", "t", "ok", [0x01]));

        Assert.Equal([0x01, 0x01, 0x01, 0x01, 0x02, 0x31, 0x32, 0x74, 0x6F, 0x6B, 0x01], buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void TryWriteReply_NullRefs_LengthZero()
    {
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(V2BinaryFrames.TryWriteReply(buffer, null, null, "t", "ok", []));

        Assert.Equal([0x01, 0x00, 0x00, 0x01, 0x02, 0x74, 0x6F, 0x6B], buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void TryWriteBroadcast_HeaderHasTopicAndEventLengthsOnly()
    {
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(V2BinaryFrames.TryWriteBroadcast(buffer, "room", "ev", [0x01, 0x02]));

        Assert.Equal([0x02, 0x04, 0x02, 0x72, 0x6F, 0x6F, 0x6D, 0x65, 0x76, 0x01, 0x02], buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void TryWritePush_MultiByteTopic_LengthInUtf8Bytes()
    {
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(V2BinaryFrames.TryWritePush(buffer, "1", "é", "e", []));

        Assert.Equal([0x00, 0x01, 0x02, 0x01, 0x31, 0xC3, 0xA9, 0x65], buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void TryWrite_FieldsOf255Bytes_Accepted()
    {
        var buffer = new ArrayBufferWriter<byte>();

        Assert.True(V2BinaryFrames.TryWriteReply(buffer, Bytes255, Bytes255, Bytes255, Bytes255, [0x07]));

        var written = buffer.WrittenSpan.ToArray();
        Assert.Equal([0x01, 0xFF, 0xFF, 0xFF, 0xFF], written[..5]);
        Assert.Equal(5 + (4 * 255) + 1, written.Length);
        Assert.Equal(0x07, written[^1]);
    }

    public static TheoryData<string?, string, string> PushFieldsOver255 => new()
    {
        { Bytes256, "t", "e" },
        { "1", Bytes256, "e" },
        { "1", "t", Bytes256 },
        { "1", TwoByteChars256, "e" },
    };

    [Theory]
    [MemberData(nameof(PushFieldsOver255))]
    public void TryWritePush_FieldOver255Bytes_ReturnsFalseAndWritesNothing(string? joinRef, string topic, string @event)
    {
        // PROTOCOL.md §2.4 and §12 #54: such a frame cannot be encoded and must not be emitted.
        var buffer = new ArrayBufferWriter<byte>();

        Assert.False(V2BinaryFrames.TryWritePush(buffer, joinRef, topic, @event, [0x01]));
        Assert.Equal(0, buffer.WrittenCount);
    }

    public static TheoryData<string?, string?, string, string> ReplyFieldsOver255 => new()
    {
        { Bytes256, "1", "t", "ok" },
        { "1", Bytes256, "t", "ok" },
        { "1", "1", Bytes256, "ok" },
        { "1", "1", "t", Bytes256 },
        { "1", TwoByteChars256, "t", "ok" },
    };

    [Theory]
    [MemberData(nameof(ReplyFieldsOver255))]
    public void TryWriteReply_FieldOver255Bytes_ReturnsFalseAndWritesNothing(string? joinRef, string? @ref, string topic, string status)
    {
        var buffer = new ArrayBufferWriter<byte>();

        Assert.False(V2BinaryFrames.TryWriteReply(buffer, joinRef, @ref, topic, status, [0x01]));
        Assert.Equal(0, buffer.WrittenCount);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TryWriteBroadcast_FieldOver255Bytes_ReturnsFalseAndWritesNothing(bool longTopic)
    {
        var buffer = new ArrayBufferWriter<byte>();

        Assert.False(V2BinaryFrames.TryWriteBroadcast(buffer, longTopic ? TwoByteChars256 : "t", longTopic ? "e" : Bytes256, [0x01]));
        Assert.Equal(0, buffer.WrittenCount);
    }

    [Fact]
    public void TryWritePush_ThenDecodedByClientLayout_RoundTrips()
    {
        // A server push has no ref; re-inserting an empty ref length turns it into the client layout.
        var buffer = new ArrayBufferWriter<byte>();
        Assert.True(V2BinaryFrames.TryWritePush(buffer, "7", "räum", "evt", [0x10, 0x20]));
        var written = buffer.WrittenSpan.ToArray();
        byte[] asClientPush = [written[0], written[1], 0x00, .. written[2..]];

        Assert.True(V2BinaryFrames.TryDecodePush(asClientPush, out var message));

        Assert.Equal("7", message.JoinRef);
        Assert.Equal(string.Empty, message.Ref);
        Assert.Equal("räum", message.Topic);
        Assert.Equal("evt", message.Event);
        Assert.Equal([0x10, 0x20], message.Payload.ToArray());
    }
}
