using System.Text;

namespace PushEx.Tests.Protocol;

/// <summary>
/// Issue 15: JSON whose strings unescape to something that is not Unicode (a lone surrogate) is valid JSON grammar, but
/// no .NET string can hold it. Such a frame does not follow the protocol, wherever the string is.
/// </summary>
public sealed partial class V2JsonSerializerTests
{
    [Theory]
    [InlineData("""["\ud800","1","t","phx_join",{}]""")]
    [InlineData("""["1","\ud800","t","phx_join",{}]""")]
    [InlineData("""["1","1","\ud800","phx_join",{}]""")]
    [InlineData("""["1","1","t","\ud800",{}]""")]
    [InlineData("""["1","1","t","phx_join",{"token":"\ud800"}]""")]
    [InlineData("""["1","1","t","phx_join",{"\ud800":"x"}]""")]
    [InlineData("""["1","1","t","phx_join",["\udc00"]]""")]
    [InlineData("""["1","1","t","phx_join","\ud800"]""")]
    [InlineData("""["1","1","t","phx_join",{},"\ud800"]""")]
    [InlineData("""["1","1","t","phx_join",{},{"\ud800":1}]""")]
    [InlineData("""["1","1","\ud800\u0041","phx_join",{}]""")]
    [InlineData("""["1","1","\udc00\ud800","phx_join",{}]""")]
    public void TryDecode_LoneSurrogateInAnyString_ReturnsFalse(string frame)
    {
        Assert.False(Serializer.TryDecode(Encoding.UTF8.GetBytes(frame), isBinary: false, out var message));
        Assert.Null(message);
    }

    [Fact]
    public void TryDecode_EscapedSurrogatePair_DecodedAsOneCharacter()
    {
        var message = Decode("""["1","1","room:\ud83d\ude00","phx_join",{"name":"\ud83d\ude00"}]""");

        Assert.Equal("room:\U0001F600", message.Topic);
        Assert.Equal("""{"name":"\ud83d\ude00"}""", Text(message.Payload));
    }
}
