using System.Text.Json;
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

    [Theory]
    [InlineData("?token=%ED%A0%80", "%ED%A0%80")]
    [InlineData("?token=%FF", "%FF")]
    [InlineData("?%ED%A0%80=x", "%ED%A0%80")]
    [InlineData("?a%5B%ED%A0%80%5D=x", "%ED%A0%80")]
    public void Parse_BytesNotUtf8_KeptPercentEncodedSoEveryStringIsReadable(string query, string kept)
    {
        // Issue 15: the handler reads these strings. Bytes that are not UTF-8 are left as they came (Uri.UnescapeDataString),
        // so no string holds a lone surrogate.
        var strings = new List<string>();
        Collect(QueryParameters.Parse(query), strings);

        Assert.Contains(kept, strings);
    }

    private static void Collect(JsonElement element, List<string> strings)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            strings.Add(element.GetString()!);
        }
        else if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                strings.Add(property.Name);
                Collect(property.Value, strings);
            }
        }
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
