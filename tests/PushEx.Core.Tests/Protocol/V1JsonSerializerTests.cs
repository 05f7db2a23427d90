using System.Buffers;
using System.Text;
using PushEx.Protocol;

namespace PushEx.Tests.Protocol;

public sealed partial class V1JsonSerializerTests
{
    private static readonly V1JsonSerializer Serializer = V1JsonSerializer.Instance;

    [Fact]
    public void TryDecode_Join_ReadsAllKeys()
    {
        var message = Decode("""{"topic":"user-1","event":"phx_join","payload":{"a":1},"ref":"1"}""");

        Assert.Null(message.JoinRef);
        Assert.Equal("1", message.Ref);
        Assert.Equal("user-1", message.Topic);
        Assert.Equal("phx_join", message.Event);
        Assert.Equal("""{"a":1}""", Text(message.Payload));
        Assert.False(message.IsBinary);
    }

    [Fact]
    public void TryDecode_JoinRefPresent_Read()
    {
        var message = Decode("""{"topic":"user-1","event":"phx_leave","payload":{},"ref":"2","join_ref":"1"}""");

        Assert.Equal("1", message.JoinRef);
        Assert.Equal("2", message.Ref);
    }

    [Fact]
    public void TryDecode_JoinRefNull_Null()
    {
        Assert.Null(Decode("""{"topic":"t","event":"e","payload":{},"ref":"2","join_ref":null}""").JoinRef);
    }

    [Fact]
    public void TryDecode_RefNull_Accepted()
    {
        // PROTOCOL.md §2.3: ref may be null, but the key must exist.
        Assert.Null(Decode("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":null}""").Ref);
    }

    [Fact]
    public void TryDecode_KeysInAnyOrderAndUnknownKeys_Accepted()
    {
        var message = Decode("""{"ref":"5","extra":{"x":[1]},"payload":[],"event":"e","topic":"t"}""");

        Assert.Equal("5", message.Ref);
        Assert.Equal("t", message.Topic);
        Assert.Equal("e", message.Event);
        Assert.Equal("[]", Text(message.Payload));
    }

    [Fact]
    public void TryDecode_NonStringTopic_TopicNullRawTopicKept()
    {
        var message = Decode("""{"topic":42,"event":"phx_join","payload":{},"ref":"1"}""");

        Assert.Null(message.Topic);
        Assert.Equal("42", Text(message.RawTopic));
    }

    [Theory]
    [InlineData("""{"topic":"t","event":"e","payload":{}}""")]
    [InlineData("""{"event":"e","payload":{},"ref":"1"}""")]
    [InlineData("""{"topic":"t","payload":{},"ref":"1"}""")]
    [InlineData("""{"topic":"t","event":"e","ref":"1"}""")]
    [InlineData("""{}""")]
    public void TryDecode_RequiredKeyMissing_ReturnsFalse(string frame)
    {
        // PROTOCOL.md §2.3 and §12 #50: topic, event, payload and ref are all required.
        Assert.False(Serializer.TryDecode(Encoding.UTF8.GetBytes(frame), isBinary: false, out var message));
        Assert.Null(message);
    }

    [Theory]
    [InlineData("""["1","1","t","e",{}]""")]
    [InlineData("\"t\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"topic\":\"t\",\"event\":\"e\",\"payload\":{},\"ref\":\"1\"")]
    [InlineData("""{"topic":"t","event":"e","payload":{},"ref":"1"} {}""")]
    [InlineData("""{"topic":"t","event":7,"payload":{},"ref":"1"}""")]
    [InlineData("""{"topic":"t","event":null,"payload":{},"ref":"1"}""")]
    [InlineData("""{"topic":"t","event":"e","payload":{},"ref":1}""")]
    [InlineData("""{"topic":"t","event":"e","payload":{"a":},"ref":"1"}""")]
    public void TryDecode_NotAValidObject_ReturnsFalse(string frame)
    {
        Assert.False(Serializer.TryDecode(Encoding.UTF8.GetBytes(frame), isBinary: false, out _));
    }

    [Theory]
    [InlineData("""{"topic":"X","event":"e","payload":{},"ref":"1"}""")]
    [InlineData("""{"topic":"t","event":"X","payload":{},"ref":"1"}""")]
    [InlineData("""{"topic":"t","event":"e","payload":{},"ref":"X"}""")]
    [InlineData("""{"topic":"t","event":"e","payload":{},"ref":"1","join_ref":"X"}""")]
    public void TryDecode_InvalidUtf8InString_ReturnsFalse(string template)
    {
        // The transport rejects invalid UTF-8 text first; the serializer still must not throw on it.
        var frame = Encoding.UTF8.GetBytes(template);
        frame[Array.IndexOf(frame, (byte)'X')] = 0xFF;

        Assert.False(Serializer.TryDecode(frame, isBinary: false, out _));
    }

    [Fact]
    public void TryDecode_Binary_ReturnsFalse()
    {
        // V1 has no binary frames (PROTOCOL.md §2.4).
        byte[] frame = [0x00, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0x65, 0x01];

        Assert.False(Serializer.TryDecode(frame, isBinary: true, out _));
        Assert.False(Serializer.TryDecode("""{"topic":"t","event":"e","payload":{},"ref":"1"}"""u8.ToArray(), isBinary: true, out _));
    }

    [Fact]
    public void WriteReply_Join_HasNoJoinRefKey()
    {
        // PROTOCOL.md §12 #59: V1 output never carries join_ref, even for join replies.
        var request = Decode("""{"topic":"t","event":"phx_join","payload":{},"ref":"1","join_ref":"1"}""");

        Assert.Equal(
            """{"topic":"t","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"1"}""",
            WriteReply(request, "1", "ok", "{}"));
    }

    [Fact]
    public void WriteReply_NullRef_WritesNull()
    {
        var request = Decode("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":null}""");

        Assert.Equal(
            """{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":null}""",
            WriteReply(request, null, "ok", "{}"));
    }

    [Fact]
    public void WriteReply_NonStringTopic_EchoesRawTopic()
    {
        var request = Decode("""{"topic":42,"event":"phx_join","payload":{},"ref":"3"}""");

        Assert.Equal(
            """{"topic":42,"event":"phx_reply","payload":{"status":"error","response":{"reason":"unmatched topic"}},"ref":"3"}""",
            WriteReply(request, null, "error", """{"reason":"unmatched topic"}"""));
    }

    [Fact]
    public void WriteMessage_PushExMessage_HasNoJoinRefKey()
    {
        // PROTOCOL.md §12 #60.
        Assert.Equal(
            """{"topic":"t","event":"msg","payload":{"data":"d","event":"e"},"ref":null}""",
            WriteMessage("3", null, "t", "msg", """{"data":"d","event":"e"}"""));
    }

    [Fact]
    public void WriteMessage_UnicodeTopic_WrittenAsUtf8Unescaped()
    {
        var buffer = new ArrayBufferWriter<byte>();

        Serializer.WriteMessage(buffer, null, "ref-日本", "räum:ß<&>", "e", "{}"u8);

        Assert.Equal(
            Encoding.UTF8.GetBytes("""{"topic":"räum:ß<&>","event":"e","payload":{},"ref":"ref-日本"}"""),
            buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void EncodeSharedPush_WholeFrameWithoutJoinRef()
    {
        // §12 #60: V1 frames carry no join ref, so every subscriber gets the same bytes and no prefix.
        Assert.True(Serializer.EncodeJoinRefPrefix("3").IsEmpty);
        Assert.Equal(
            """{"topic":"t","event":"msg","payload":{"data":"d","event":"e"},"ref":null}""",
            Text(Serializer.EncodeSharedPush("t", "msg", """{"data":"d","event":"e"}"""u8)));
    }

    private static ClientMessage Decode(string frame)
    {
        Assert.True(Serializer.TryDecode(Encoding.UTF8.GetBytes(frame), isBinary: false, out var message));
        return message;
    }

    private static string WriteReply(ClientMessage request, string? joinRef, string status, string response)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Serializer.WriteReply(buffer, request, joinRef, status, Encoding.UTF8.GetBytes(response));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string WriteMessage(string? joinRef, string? @ref, string topic, string @event, string payload)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Serializer.WriteMessage(buffer, joinRef, @ref, topic, @event, Encoding.UTF8.GetBytes(payload));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
