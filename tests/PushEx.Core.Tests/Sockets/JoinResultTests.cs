using System.Text;
using System.Text.Json;
using PushEx.Sockets;

namespace PushEx.Tests.Sockets;

public sealed class JoinResultTests
{
    [Fact]
    public void Ok_NoReply_EmptyObject()
    {
        var result = JoinResult.Ok();

        Assert.True(result.IsOk);
        Assert.Equal("{}", Text(result));
    }

    [Fact]
    public void Ok_Reply_SerializedAsGiven()
    {
        var result = JoinResult.Ok(new { hello = "world", n = 1 });

        Assert.True(result.IsOk);
        Assert.Equal("""{"hello":"world","n":1}""", Text(result));
    }

    [Fact]
    public void Ok_ReplyWithPascalCaseNamesAndText_CamelCaseAndUnescaped()
    {
        var result = JoinResult.Ok(new Greeting("grüß <dich>", 2));

        Assert.Equal("""{"text":"grüß <dich>","count":2}""", Text(result));
    }

    [Fact]
    public void Ok_NullReply_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => JoinResult.Ok(null!));
    }

    [Fact]
    public void Error_Reason_ReasonObject()
    {
        var result = JoinResult.Error("unauthorized");

        Assert.False(result.IsOk);
        Assert.Equal("""{"reason":"unauthorized"}""", Text(result));
    }

    [Fact]
    public void Error_ReasonWithQuoteAndUnicode_ValidJsonWithTheSameReason()
    {
        using var response = JsonDocument.Parse(JoinResult.Error("say \"hi\" – räum").Response);

        Assert.Equal("say \"hi\" – räum", response.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public void Error_Object_SerializedAsGiven()
    {
        var result = JoinResult.Error(new { reason = "expired", retry = false });

        Assert.False(result.IsOk);
        Assert.Equal("""{"reason":"expired","retry":false}""", Text(result));
    }

    private sealed record Greeting(string Text, int Count);

    private static string Text(JoinResult result) => Encoding.UTF8.GetString(result.Response.Span);
}
