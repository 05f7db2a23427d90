using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PushEx.Tests.Protocol;

public sealed partial class V2JsonSerializerTests
{
    [Fact]
    public void WriteReply_JoinOk_MatchesProtocol()
    {
        var request = Decode("""["3","3","user-1","phx_join",{}]""");

        Assert.Equal("""["3","3","user-1","phx_reply",{"status":"ok","response":{}}]""", WriteReply(request, "3", "ok", "{}"));
    }

    [Fact]
    public void WriteReply_Heartbeat_NullJoinRef()
    {
        var request = Decode("""[null,"7","phoenix","heartbeat",{}]""");

        Assert.Equal("""[null,"7","phoenix","phx_reply",{"status":"ok","response":{}}]""", WriteReply(request, null, "ok", "{}"));
    }

    [Fact]
    public void WriteReply_NullRef_WritesNull()
    {
        var request = Decode("""[null,null,"phoenix","heartbeat",{}]""");

        Assert.Equal("""[null,null,"phoenix","phx_reply",{"status":"ok","response":{}}]""", WriteReply(request, null, "ok", "{}"));
    }

    [Fact]
    public void WriteReply_NonStringTopic_EchoesRawTopic()
    {
        var request = Decode("""["3","3",42,"phx_join",{}]""");

        Assert.Equal(
            """[null,"3",42,"phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""",
            WriteReply(request, null, "error", """{"reason":"unmatched topic"}"""));
    }

    [Fact]
    public void WriteReply_ObjectTopic_EchoesRawTopic()
    {
        var request = Decode("""["3","3",{"a":[1,2]},"phx_join",{}]""");

        Assert.Equal(
            """[null,"3",{"a":[1,2]},"phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""",
            WriteReply(request, null, "error", """{"reason":"unmatched topic"}"""));
    }

    [Fact]
    public void WriteReply_ErrorResponse_WrittenAsGiven()
    {
        var request = Decode("""["3","3","user-1","phx_join",{}]""");

        Assert.Equal(
            """["3","3","user-1","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}]""",
            WriteReply(request, "3", "error", """{"reason":"unauthorized"}"""));
    }

    [Fact]
    public void WriteMessage_ChannelPush_MatchesProtocol()
    {
        Assert.Equal(
            """["3",null,"user-1","msg",{"data":{"id":1},"event":"created"}]""",
            WriteMessage("3", null, "user-1", "msg", """{"data":{"id":1},"event":"created"}"""));
    }

    [Fact]
    public void WriteMessage_Broadcast_NullRefs()
    {
        Assert.Equal(
            """[null,null,"room:1","presence_diff",{"joins":{},"leaves":{}}]""",
            WriteMessage(null, null, "room:1", "presence_diff", """{"joins":{},"leaves":{}}"""));
    }

    [Fact]
    public void WriteMessage_PhxClose_RefIsJoinRef()
    {
        Assert.Equal("""["3","3","user-1","phx_close",{}]""", WriteMessage("3", "3", "user-1", "phx_close", "{}"));
    }

    [Fact]
    public void WriteReply_UnicodeTopicAndRef_WrittenAsUtf8Unescaped()
    {
        var request = Decode("""["ü1","ref-日本","räum:ß","phx_join",{}]""");
        var buffer = new ArrayBufferWriter<byte>();

        Serializer.WriteReply(buffer, request, request.JoinRef, "ok", "{}"u8);

        Assert.Equal(
            Encoding.UTF8.GetBytes("""["ü1","ref-日本","räum:ß","phx_reply",{"status":"ok","response":{}}]"""),
            buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void WriteMessage_HtmlSensitiveCharacters_NotEscaped()
    {
        Assert.Equal("""[null,null,"a<b>&'+","e",{}]""", WriteMessage(null, null, "a<b>&'+", "e", "{}"));
    }

    [Fact]
    public void WriteMessage_QuoteAndBackslash_EscapedAsJson()
    {
        var written = WriteMessage("j\"1", null, "a\"b\\c", "e", "{}");

        Assert.Equal("""["j\"1",null,"a\"b\\c","e",{}]""", written);
    }

    [Fact]
    public void WriteReply_EmojiRef_RoundTripsToTheSameString()
    {
        // Whatever the escaping, the client's JSON.parse must see the ref it sent.
        var request = Decode("""[null,"😀","phoenix","heartbeat",{}]""");

        using var reply = JsonDocument.Parse(WriteReply(request, null, "ok", "{}"));

        Assert.Equal("😀", reply.RootElement[1].GetString());
    }

    [Theory]
    [InlineData("3")]
    [InlineData(null)]
    [InlineData("räum\"1")]
    public void EncodeJoinRefPrefixThenSharedPush_SameBytesAsWriteMessage(string? joinRef)
    {
        // A fan-out frame is the subscriber's prefix followed by the shared body: [J,null,T,"msg",payload] (§10.3).
        var payload = """{"data":{"id":1},"event":"created"}"""u8;
        var expected = new ArrayBufferWriter<byte>();
        Serializer.WriteMessage(expected, joinRef, null, "user-1", "msg", payload);

        byte[] joined = [.. Serializer.EncodeJoinRefPrefix(joinRef).Span, .. Serializer.EncodeSharedPush("user-1", "msg", payload).Span];

        Assert.Equal(Encoding.UTF8.GetString(expected.WrittenSpan), Encoding.UTF8.GetString(joined));
    }

    [Fact]
    public void EncodeJoinRefPrefixThenSharedPush_ProtocolExample()
    {
        byte[] joined =
        [
            .. Serializer.EncodeJoinRefPrefix("3").Span,
            .. Serializer.EncodeSharedPush("user-1", "msg", """{"data":{"id":1},"event":"created"}"""u8).Span,
        ];

        Assert.Equal("""["3",null,"user-1","msg",{"data":{"id":1},"event":"created"}]""", Encoding.UTF8.GetString(joined));
    }
}
