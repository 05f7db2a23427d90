using System.Buffers;
using System.Text;
using PushEx.Protocol;

namespace PushEx.Tests.Protocol;

public sealed partial class V2JsonSerializerTests
{
    private static readonly V2JsonSerializer Serializer = V2JsonSerializer.Instance;

    [Fact]
    public void TryDecode_Join_ReadsAllFiveFields()
    {
        var message = Decode("""["3","3","user-1","phx_join",{}]""");

        Assert.Equal("3", message.JoinRef);
        Assert.Equal("3", message.Ref);
        Assert.Equal("user-1", message.Topic);
        Assert.Equal("\"user-1\"", Text(message.RawTopic));
        Assert.Equal("phx_join", message.Event);
        Assert.Equal("{}", Text(message.Payload));
        Assert.False(message.IsBinary);
    }

    [Fact]
    public void TryDecode_Heartbeat_NullJoinRef()
    {
        var message = Decode("""[null,"7","phoenix","heartbeat",{}]""");

        Assert.Null(message.JoinRef);
        Assert.Equal("7", message.Ref);
        Assert.Equal("phoenix", message.Topic);
        Assert.Equal("heartbeat", message.Event);
    }

    [Fact]
    public void TryDecode_NullRefs_DecodesBothAsNull()
    {
        var message = Decode("""[null,null,"phoenix","heartbeat",{}]""");

        Assert.Null(message.JoinRef);
        Assert.Null(message.Ref);
    }

    [Fact]
    public void TryDecode_Payload_KeptAsRawJson()
    {
        var message = Decode("""["3","9","room:1","new_msg", {"body": "hi", "n": [1, {"x": null}]} ]""");

        Assert.Equal("""{"body": "hi", "n": [1, {"x": null}]}""", Text(message.Payload));
    }

    [Theory]
    [InlineData("""["3","9","t","e","text"]""", "\"text\"")]
    [InlineData("""["3","9","t","e",[1,2]]""", "[1,2]")]
    [InlineData("""["3","9","t","e",null]""", "null")]
    [InlineData("""["3","9","t","e",12.5]""", "12.5")]
    public void TryDecode_NonObjectPayload_KeptAsRawJson(string frame, string payload)
    {
        Assert.Equal(payload, Text(Decode(frame).Payload));
    }

    [Fact]
    public void TryDecode_SixElements_UsesFirstFive()
    {
        // PROTOCOL.md §2.2 and §12 #51: extra elements are ignored.
        var message = Decode("""["3","3","user-1","phx_join",{"a":1},"extra",[1,[2]],{"b":{}}]""");

        Assert.Equal("3", message.JoinRef);
        Assert.Equal("3", message.Ref);
        Assert.Equal("user-1", message.Topic);
        Assert.Equal("phx_join", message.Event);
        Assert.Equal("""{"a":1}""", Text(message.Payload));
    }

    [Fact]
    public void TryDecode_NonStringTopic_TopicNullRawTopicKept()
    {
        var message = Decode("""["3","3",42,"phx_join",{}]""");

        Assert.Null(message.Topic);
        Assert.Equal("42", Text(message.RawTopic));
        Assert.Equal("phx_join", message.Event);
    }

    [Fact]
    public void TryDecode_ObjectTopic_RawTopicIsTheWholeValue()
    {
        var message = Decode("""["3","3",{"a":[1,2]},"phx_join",{}]""");

        Assert.Null(message.Topic);
        Assert.Equal("""{"a":[1,2]}""", Text(message.RawTopic));
    }

    [Fact]
    public void TryDecode_EscapedStrings_Unescaped()
    {
        var message = Decode("""["\u0033","a\"b","r\u00e4um","phx_\u006aoin",{}]""");

        Assert.Equal("3", message.JoinRef);
        Assert.Equal("a\"b", message.Ref);
        Assert.Equal("räum", message.Topic);
        Assert.Equal("phx_join", message.Event);
    }

    [Theory]
    [InlineData("""[null,"1","phoenix","heartbeat"]""")]
    [InlineData("""[null,"1","phoenix"]""")]
    [InlineData("""[]""")]
    [InlineData("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"1"}""")]
    [InlineData("\"heartbeat\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("""[null,"1","phoenix","heartbeat",{}""")]
    [InlineData("""[null,"1","phoenix","heartbeat",{}] []""")]
    [InlineData("""[null,"1","phoenix","heartbeat",{},]""")]
    [InlineData("""[null,"1","phoenix","heartbeat",{"a":}]""")]
    [InlineData("""[null,"1","phoenix",7,{}]""")]
    [InlineData("""[null,"1","phoenix",null,{}]""")]
    [InlineData("""[null,1,"phoenix","heartbeat",{}]""")]
    [InlineData("""[1,"1","phoenix","heartbeat",{}]""")]
    [InlineData("""[null,{},"phoenix","heartbeat",{}]""")]
    public void TryDecode_NotAFiveElementArray_ReturnsFalse(string frame)
    {
        // PROTOCOL.md §2.2 and §12 #50: such a frame closes the connection, it is never answered.
        Assert.False(Serializer.TryDecode(Encoding.UTF8.GetBytes(frame), isBinary: false, out var message));
        Assert.Null(message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TryDecode_InvalidUtf8InString_ReturnsFalse(int field)
    {
        // The transport rejects invalid UTF-8 text first; the serializer still must not throw on it.
        string[] parts = ["\"1\"", "\"2\"", "\"t\"", "\"e\""];
        parts[field] = "\"X\"";
        var frame = Encoding.UTF8.GetBytes($"[{string.Join(',', parts)},{{}}]");
        frame[Array.IndexOf(frame, (byte)'X')] = 0xFF;

        Assert.False(Serializer.TryDecode(frame, isBinary: false, out _));
    }

    [Fact]
    public void TryDecode_TooDeeplyNested_ReturnsFalse()
    {
        var payload = new string('[', 100) + new string(']', 100);
        Assert.False(Serializer.TryDecode(Encoding.UTF8.GetBytes($"""["1","1","t","e",{payload}]"""), isBinary: false, out _));
    }

    [Fact]
    public void TryDecode_BinaryFrame_DecodedAsBinaryPush()
    {
        byte[] frame = [0x00, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0x65, 0x01];

        Assert.True(Serializer.TryDecode(frame, isBinary: true, out var message));
        Assert.True(message.IsBinary);
        Assert.Equal("1", message.JoinRef);
        Assert.Equal("2", message.Ref);
        Assert.Equal("t", message.Topic);
        Assert.Equal("e", message.Event);
        Assert.Equal([0x01], message.Payload.ToArray());
    }

    [Fact]
    public void TryDecode_TextJsonSentAsBinary_ReturnsFalse()
    {
        // '[' is 0x5B, not a valid kind byte.
        Assert.False(Serializer.TryDecode("""[null,"1","phoenix","heartbeat",{}]"""u8.ToArray(), isBinary: true, out _));
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
