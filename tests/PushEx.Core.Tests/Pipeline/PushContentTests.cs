using System.Runtime.InteropServices;
using System.Text;
using PushEx.History;
using PushEx.Pipeline;

namespace PushEx.Tests.Pipeline;

public sealed class PushContentTests
{
    [Fact]
    public void Constructor_CallerReusesItsBuffer_PayloadAndDataKeepTheBytesGivenAtConstruction()
    {
        var data = "[1]"u8.ToArray();
        var content = new PushContent("e", data);

        // Only a payload built in the constructor is unaffected by what the caller does with its buffer afterwards.
        data[1] = (byte)'2';

        Assert.Equal("""{"data":[1],"event":"e"}""", Encoding.UTF8.GetString(content.MsgPayload.Span));
        Assert.Equal("[1]", Encoding.UTF8.GetString(content.Data.Span));
    }

    [Fact]
    public void MsgPayload_ReadTwice_IsTheSameBytesInTheSameBuffer()
    {
        var content = new PushContent("e", "{\"id\":1}"u8.ToArray());

        var first = content.MsgPayload;
        var second = content.MsgPayload;

        Assert.True(MemoryMarshal.TryGetArray(first, out var firstArray));
        Assert.True(MemoryMarshal.TryGetArray(second, out var secondArray));
        Assert.Same(firstArray.Array, secondArray.Array);
        Assert.Equal(firstArray.Offset, secondArray.Offset);
        Assert.Equal(first.Length, second.Length);
    }

    [Fact]
    public void Constructor_EventNeedingEscapesAndDataWithWhitespace_DataIsKeptVerbatim()
    {
        var content = new PushContent("say \"hé\"", "{ \"a\" : [1, 2] }"u8.ToArray());

        Assert.Equal("""{"data":{ "a" : [1, 2] },"event":"say \"hé\""}""", Encoding.UTF8.GetString(content.MsgPayload.Span));
        Assert.Equal("""{ "a" : [1, 2] }""", Encoding.UTF8.GetString(content.Data.Span));
        Assert.Equal("say \"hé\"", content.Event);
    }

    [Fact]
    public void Constructor_SmallPush_PayloadArrayHoldsExactlyThePayload()
    {
        var content = new PushContent("created", "{\"id\":1}"u8.ToArray());

        // A push is kept in its topic's history for minutes: slack in its buffer would be kept as long.
        Assert.True(MemoryMarshal.TryGetArray(content.MsgPayload, out var array));
        Assert.Equal(content.MsgPayload.Length, array.Array!.Length);
    }

    [Fact]
    public void WithPosition_OffsetAndEpoch_AppendedAfterTheEventInAnExactlySizedArray()
    {
        var content = new PushContent("say \"hé\"", "{ \"a\" : [1, 2] }"u8.ToArray());

        var payload = content.WithPosition(new StreamPosition("Ab-_9\"é", 9_007_199_254_740_993));

        Assert.Equal("""{"data":{ "a" : [1, 2] },"event":"say \"hé\"","offset":9007199254740993,"epoch":"Ab-_9\"é"}""", Encoding.UTF8.GetString(payload.Span));
        Assert.True(MemoryMarshal.TryGetArray(payload, out var array));
        Assert.Equal(payload.Length, array.Array!.Length);
    }
}
