using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Tests.Infrastructure;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;

namespace PushEx.AspNetCore.Tests.Api;

/// <summary>
/// Issue 15: a body whose JSON strings are not Unicode (an escaped lone surrogate, or bytes that are not UTF-8) is a
/// malformed body, wherever the string is: 400 like invalid JSON, logged at Debug. The original's JSON parser (Jason)
/// refuses such a body as a whole too, and the authorizer, which sees every parameter, must not be handed one.
/// </summary>
public sealed partial class PushApiEndpointTests
{
    private const string BadRequest = """{"errors":{"detail":"Bad Request"}}""";

    [Theory]
    [InlineData("""{"channel":"\ud800","data":"d","event":"e"}""")]
    [InlineData("""{"channel":["a","\udc00"],"data":"d","event":"e"}""")]
    [InlineData("""{"channel":"c","data":"d","event":"\ud800"}""")]
    [InlineData("""{"channel":"c","data":"\ud800","event":"e"}""")]
    [InlineData("""{"channel":"c","data":{"\ud800":1},"event":"e"}""")]
    [InlineData("""{"channel":"c","data":"d","event":"e","\ud800":1}""")]
    public async Task Push_LoneSurrogateInAnyString_Is400LoggedAtDebug(string json)
    {
        var logs = new RecordingLoggerProvider();
        await using var host = await PushExTestHost.StartAsync(configureServices: LogRecording.Into(logs));
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(BadRequest, await BodyAsync(response));
        Assert.Empty(logs.WarningsOrAbove);
        Assert.Contains(logs.Entries, entry => entry is { EventName: "MalformedBody", Level: LogLevel.Debug });
    }

    [Theory]
    [InlineData("channel")]
    [InlineData("event")]
    [InlineData("data")]
    public async Task Push_StringNotUtf8_Is400LoggedAtDebug(string field)
    {
        var logs = new RecordingLoggerProvider();
        await using var host = await PushExTestHost.StartAsync(configureServices: LogRecording.Into(logs));
        using var http = host.CreateHttpClient();
        var body = System.Text.Encoding.UTF8.GetBytes("""{"channel":"c","data":"d","event":"e"}""".Replace($"\"{field[0]}\"", "\"X\"", StringComparison.Ordinal));
        body[Array.IndexOf(body, (byte)'X')] = 0xFF;
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/push", UriKind.Relative)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestApiAuthorizer.Key);

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(BadRequest, await BodyAsync(response));
        Assert.Empty(logs.WarningsOrAbove);
    }

    [Fact]
    public async Task Push_EscapedSurrogatePair_Accepted()
    {
        await using var host = await PushExTestHost.StartAsync();
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, """{"channel":"room:\ud83d\ude00","data":"\ud83d\ude00","event":"e"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"channel":["room:\uD83D\uDE00"],"data":"\ud83d\ude00","event":"e"}""", await BodyAsync(response));
    }
}
