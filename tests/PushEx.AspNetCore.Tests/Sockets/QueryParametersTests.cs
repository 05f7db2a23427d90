using PushEx.AspNetCore.Sockets;

namespace PushEx.AspNetCore.Tests.Sockets;

public sealed class QueryParametersTests
{
    [Theory]
    [InlineData(null, "{}")]
    [InlineData("", "{}")]
    [InlineData("?vsn=2.0.0", """{"vsn":"2.0.0"}""")]
    [InlineData("?token=abc&x%5By%5D=1&vsn=2.0.0", """{"token":"abc","x":{"y":"1"},"vsn":"2.0.0"}""")]
    [InlineData("?a%5B%5D=x&a%5B%5D=y", """{"a":["x","y"]}""")]
    [InlineData("?a%5Bb%5D%5Bc%5D=1&a%5Bb%5D%5Bd%5D=2", """{"a":{"b":{"c":"1","d":"2"}}}""")]
    [InlineData("?a=1&a=2", """{"a":"2"}""")]
    [InlineData("?name=J%C3%BCrgen+M&empty=", """{"name":"Jürgen M","empty":""}""")]
    [InlineData("?flag", """{"flag":""}""")]
    [InlineData("?a%5Bunclosed=1", """{"a[unclosed":"1"}""")]
    [InlineData("?%5Bnoname%5D=1", """{"[noname]":"1"}""")]
    public void Parse_PlugConventions(string? query, string expected)
    {
        Assert.Equal(expected, QueryParameters.Parse(query).GetRawText().Replace("\\u00FC", "ü", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_DeepNesting_IsCappedNotRecursedWithoutBound()
    {
        var key = "a" + string.Concat(Enumerable.Repeat("%5Bb%5D", 100));

        var parsed = QueryParameters.Parse($"?{key}=1");

        // Past the depth cap the whole key is kept as a plain name instead of nesting 100 levels.
        Assert.Equal(System.Text.Json.JsonValueKind.Object, parsed.ValueKind);
        Assert.Single(parsed.EnumerateObject());
    }
}
