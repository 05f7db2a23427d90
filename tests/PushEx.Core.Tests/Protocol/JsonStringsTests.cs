using System.Buffers;
using System.Text;
using System.Text.Json;
using PushEx.Protocol;

namespace PushEx.Tests.Protocol;

public sealed class JsonStringsTests
{
    [Theory]
    [InlineData("""{"a":["b",{"c":"d"}],"e":"\ud83d\ude00"}""", true)]
    [InlineData("""{"a":["b",{"c":"\ud800"}]}""", false)]
    [InlineData("""{"a":["b",{"\udc00":1}]}""", false)]
    [InlineData("""["\ud800\ud800"]""", false)]
    [InlineData("""["\ude00\ud83d"]""", false)]
    [InlineData("""{"a":""", false)]
    public void TrySkipChecked_SplitIntoOneByteSegments_SameAnswerAsWhole(string json, bool expected)
    {
        // A string that spans segments is read another way (HasValueSequence); the answer must not depend on it.
        var bytes = Encoding.UTF8.GetBytes(json);

        Assert.Equal(expected, AllStringsValid(new ReadOnlySequence<byte>(bytes)));
        Assert.Equal(expected, AllStringsValid(OneByteSegments(bytes)));
    }

    [Fact]
    public void TrySkipChecked_UnescapedBytesNotUtf8_False()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"a":"X"}""");
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xFF;

        Assert.False(AllStringsValid(new ReadOnlySequence<byte>(bytes)));
        Assert.False(AllStringsValid(OneByteSegments(bytes)));
    }

    [Fact]
    public void TrySkipChecked_Object_LeavesReaderOnItsLastToken()
    {
        var reader = new Utf8JsonReader("""[{"a":["\ud83d\ude00"]},1]"""u8);
        reader.Read();
        reader.Read();

        Assert.True(JsonStrings.TrySkipChecked(ref reader));
        Assert.Equal(JsonTokenType.EndObject, reader.TokenType);
        Assert.True(reader.Read());
        Assert.Equal(JsonTokenType.Number, reader.TokenType);
    }

    // The whole value read through TrySkipChecked; malformed JSON counts as invalid.
    private static bool AllStringsValid(ReadOnlySequence<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            return reader.Read() && JsonStrings.TrySkipChecked(ref reader);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static ReadOnlySequence<byte> OneByteSegments(byte[] bytes)
    {
        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
