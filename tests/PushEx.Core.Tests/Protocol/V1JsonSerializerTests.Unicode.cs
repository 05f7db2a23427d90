using System.Text;

namespace PushEx.Tests.Protocol;

/// <summary>Issue 15: a string that unescapes to a lone surrogate makes the frame malformed, wherever it is.</summary>
public sealed partial class V1JsonSerializerTests
{
    [Theory]
    [InlineData("""{"topic":"\ud800","event":"phx_join","payload":{},"ref":"1"}""")]
    [InlineData("""{"topic":"t","event":"\ud800","payload":{},"ref":"1"}""")]
    [InlineData("""{"topic":"t","event":"phx_join","payload":{},"ref":"\ud800"}""")]
    [InlineData("""{"topic":"t","event":"phx_join","payload":{},"ref":"1","join_ref":"\udc00"}""")]
    [InlineData("""{"topic":"t","event":"phx_join","payload":{"token":"\ud800"},"ref":"1"}""")]
    [InlineData("""{"topic":"t","event":"phx_join","payload":{"\ud800":1},"ref":"1"}""")]
    [InlineData("""{"topic":"t","event":"phx_join","payload":{},"ref":"1","\ud800":1}""")]
    [InlineData("""{"topic":"t","event":"phx_join","payload":{},"ref":"1","extra":["\ud800"]}""")]
    [InlineData("""{"topic":["\ud800"],"event":"phx_join","payload":{},"ref":"1"}""")]
    public void TryDecode_LoneSurrogateInAnyString_ReturnsFalse(string frame)
    {
        Assert.False(Serializer.TryDecode(Encoding.UTF8.GetBytes(frame), isBinary: false, out var message));
        Assert.Null(message);
    }

    [Fact]
    public void TryDecode_EscapedSurrogatePair_DecodedAsOneCharacter()
    {
        var message = Decode("""{"topic":"room:\ud83d\ude00","event":"phx_join","payload":{},"ref":"1"}""");

        Assert.Equal("room:\U0001F600", message.Topic);
    }
}
