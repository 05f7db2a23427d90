using System.Text;
using PushEx.History;
using PushEx.PubSub.Redis;

namespace PushEx.Tests.PubSub.Redis;

public sealed class RedisMessageTests
{
    private static readonly Guid Node = new([0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F]);

    private static readonly byte[] Header = [(byte)'P', 1];

    private static readonly byte[] NodeBytes = [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F];

    private const long AcceptedAt = 0x0102030405060708;

    private static readonly byte[] AcceptedAtBytes = [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01];

    [Fact]
    public void EncodePush_WritesHeaderAcceptedAtEventAndData()
    {
        var message = RedisMessage.EncodePush(Node, "ev", "[1]"u8, AcceptedAt);

        byte[] expected = [.. Header, 1, .. NodeBytes, .. AcceptedAtBytes, 2, 0, (byte)'e', (byte)'v', (byte)'[', (byte)'1', (byte)']'];
        Assert.Equal(expected, message);
    }

    [Fact]
    public void EncodePositionedPush_WritesOffsetAndEpochBeforeThePushBody()
    {
        var message = RedisMessage.EncodePositionedPush(Node, new StreamPosition("Ab", 0x0A0B), "ev", "[1]"u8, AcceptedAt);

        byte[] expected =
        [
            .. Header, 3, .. NodeBytes,
            0x0B, 0x0A, 0, 0, 0, 0, 0, 0, 2, (byte)'A', (byte)'b',
            .. AcceptedAtBytes, 2, 0, (byte)'e', (byte)'v', (byte)'[', (byte)'1', (byte)']',
        ];
        Assert.Equal(expected, message);
    }

    [Fact]
    public void PositionedPushHead_IsTheStartOfEveryPositionedPushOfTheNode()
    {
        var message = RedisMessage.EncodePositionedPush(Node, new StreamPosition("Ab", 7), "ev", "1"u8, AcceptedAt);

        Assert.Equal(message[..19], RedisMessage.PositionedPushHead(Node));
    }

    [Fact]
    public void EncodePositionedPush_UsesAKindTheVersion1DecodersBeforeHistoryReject()
    {
        // Nodes from before history know kinds 1 (push) and 2 (disconnect) and reject any other as not a PushEx message.
        var message = RedisMessage.EncodePositionedPush(Node, new StreamPosition("Ab", 7), "ev", "1"u8, AcceptedAt);

        Assert.Equal([(byte)'P', 1], message[..2]);
        Assert.Equal(3, message[2]);
    }

    [Fact]
    public void TryDecode_PositionedPush_GivesEveryField()
    {
        var message = RedisMessage.EncodePositionedPush(Node, new StreamPosition("épö", long.MaxValue), "say \"hé\"", """{"a":[1,2]}"""u8, AcceptedAt);

        Assert.True(RedisMessage.TryDecode(message, out var decoded));
        Assert.Equal(RedisMessageKind.PositionedPush, decoded.Value.Kind);
        Assert.Equal(Node, decoded.Value.Node);
        Assert.Equal(new StreamPosition("épö", long.MaxValue), decoded.Value.Position);
        Assert.Equal(AcceptedAt, decoded.Value.UnixMsAcceptedAt);
        Assert.Equal("say \"hé\"", decoded.Value.Event);
        Assert.Equal("""{"a":[1,2]}""", Encoding.UTF8.GetString(decoded.Value.Data.Span));
    }

    [Fact]
    public void TryDecode_Push_HasNoPosition()
    {
        Assert.True(RedisMessage.TryDecode(RedisMessage.EncodePush(Node, "e", "null"u8, AcceptedAt), out var decoded));

        Assert.Equal(RedisMessageKind.Push, decoded.Value.Kind);
        Assert.Null(decoded.Value.Position);
        Assert.Equal("null", Encoding.UTF8.GetString(decoded.Value.Data.Span));
    }

    public static TheoryData<string, byte[]> MalformedPositionedPushes() => new()
    {
        { "no position", [.. Header, 3, .. NodeBytes, 1, 0, 0, 0, 0, 0, 0, 0] },
        { "offset 0", [.. Header, 3, .. NodeBytes, 0, 0, 0, 0, 0, 0, 0, 0, 1, (byte)'A', .. AcceptedAtBytes, 1, 0, (byte)'e', (byte)'1'] },
        { "negative offset", [.. Header, 3, .. NodeBytes, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, (byte)'A', .. AcceptedAtBytes, 1, 0, (byte)'e', (byte)'1'] },
        { "empty epoch", [.. Header, 3, .. NodeBytes, 1, 0, 0, 0, 0, 0, 0, 0, 0, .. AcceptedAtBytes, 1, 0, (byte)'e', (byte)'1'] },
        { "epoch past the end", [.. Header, 3, .. NodeBytes, 1, 0, 0, 0, 0, 0, 0, 0, 9, (byte)'A'] },
        { "epoch not UTF-8", [.. Header, 3, .. NodeBytes, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, .. AcceptedAtBytes, 1, 0, (byte)'e', (byte)'1'] },
        { "no push body", [.. Header, 3, .. NodeBytes, 1, 0, 0, 0, 0, 0, 0, 0, 1, (byte)'A', 1, 2] },
        { "event past the end", [.. Header, 3, .. NodeBytes, 1, 0, 0, 0, 0, 0, 0, 0, 1, (byte)'A', .. AcceptedAtBytes, 9, 0, (byte)'e'] },
        { "data not JSON", [.. Header, 3, .. NodeBytes, 1, 0, 0, 0, 0, 0, 0, 0, 1, (byte)'A', .. AcceptedAtBytes, 1, 0, (byte)'e', (byte)'{'] },
        { "another version", [(byte)'P', 2, 3, .. NodeBytes, 1, 0, 0, 0, 0, 0, 0, 0, 1, (byte)'A', .. AcceptedAtBytes, 1, 0, (byte)'e', (byte)'1'] },
    };

    [Theory]
    [MemberData(nameof(MalformedPositionedPushes))]
    public void TryDecode_MalformedPositionedPush_IsRejected(string because, byte[] message)
    {
        Assert.False(RedisMessage.TryDecode(message, out _), because);
    }

    [Fact]
    public void TryDecode_TheSameBytesAsAValidPositionedPush_Decode()
    {
        // The malformed cases above differ from this one in the one field they name.
        byte[] message = [.. Header, 3, .. NodeBytes, 1, 0, 0, 0, 0, 0, 0, 0, 1, (byte)'A', .. AcceptedAtBytes, 1, 0, (byte)'e', (byte)'1'];

        Assert.True(RedisMessage.TryDecode(message, out var decoded));
        Assert.Equal(new StreamPosition("A", 1), decoded.Value.Position);
    }

    [Fact]
    public void EncodePositionedPush_EpochOver255Bytes_Throws()
    {
        Assert.Throws<ArgumentException>(() => RedisMessage.EncodePositionedPush(Node, new StreamPosition(new string('a', 256), 1), "e", "1"u8, AcceptedAt));
    }
}
