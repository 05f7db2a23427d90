using System.Net;
using PushEx.AspNetCore.Tests.Infrastructure;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;

namespace PushEx.AspNetCore.Tests.Api;

/// <summary>Issue 15: limits on what a caller of the push API chooses. A call over a limit is refused whole (422).</summary>
public sealed partial class PushApiEndpointTests
{
    [Fact]
    public async Task Push_ChannelOverMaxTopicLength_Is422NamingTheLimit_NothingPushed()
    {
        await using var host = await PushExTestHost.StartAsync(options => options.MaxTopicLength = 8);
        await using var subscriber = await TestWebSocket.ConnectAsync(host.SocketUri());
        await subscriber.SendTextAsync("""["1","1","12345678","phx_join",{}]""");
        await subscriber.ReceiveTextAsync();
        using var http = host.CreateHttpClient();

        // "ééééé" is 10 UTF-8 bytes; the call is refused whole, the valid channel included.
        using var refused = await PostAsync(http, """{"channel":["12345678","ééééé"],"data":1,"event":"e"}""");
        using var accepted = await PostAsync(http, """{"channel":"12345678","data":2,"event":"e"}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("""{"error":"Channel too long: each channel must fit in PushEx:MaxTopicLength (8 bytes)."}""", await BodyAsync(refused));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        // The first push the subscriber sees is the accepted one, and it is the topic's first (offset 1).
        Assert.Equal("""["1",null,"12345678","msg",{"data":2,"event":"e","offset":1,"epoch":"…"}]""", Epochs.Mask(await subscriber.ReceiveTextAsync()));
    }

    [Fact]
    public async Task Push_MoreChannelsThanMaxChannelsPerPush_Is422NamingTheLimit()
    {
        await using var host = await PushExTestHost.StartAsync(options => options.MaxChannelsPerPush = 3);
        using var http = host.CreateHttpClient();

        using var refused = await PostAsync(http, """{"channel":["a","b","c","d"],"data":1,"event":"e"}""");
        // Counted after de-duplication: three distinct channels fit.
        using var accepted = await PostAsync(http, """{"channel":["a","b","c","a","b"],"data":1,"event":"e"}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("""{"error":"Too many channels: one push may name at most PushEx:MaxChannelsPerPush (3)."}""", await BodyAsync(refused));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Push_BodyDeeperThanMaxApiBodyDepth_Is400NamingTheLimit_BeforeTheAuthorizer_NothingPushed()
    {
        await using var host = await PushExTestHost.StartAsync(options => options.MaxApiBodyDepth = 4);
        using var exceeded = new PushMeterReader(host.Services, "pushex.limits.exceeded");
        await using var subscriber = await TestWebSocket.ConnectAsync(host.SocketUri());
        await subscriber.SendTextAsync("""["1","1","t","phx_join",{}]""");
        await subscriber.ReceiveTextAsync();
        using var http = host.CreateHttpClient();

        // The body's own object is level 1: data [[[1]]] reaches level 4, [[[[1]]]] level 5. Nesting anywhere counts.
        using var tooDeep = await PostAsync(http, """{"channel":"t","data":[[[[1]]]],"event":"e"}""");
        using var tooDeepElsewhere = await PostAsync(http, """{"channel":"t","data":1,"event":"e","x":{"a":{"b":{"c":{}}}}}""");
        // The authorizer throws for this key (500): a 400 shows the body was refused before the authorizer saw it.
        using var tooDeepBeforeAuthorizer = await PostAsync(http, """{"channel":"t","data":[[[[1]]]],"event":"e"}""", key: "throw");
        using var atTheLimit = await PostAsync(http, """{"channel":"t","data":[[[1]]],"event":"e"}""");

        const string Expected = """{"error":"Body nested too deeply: arrays and objects may nest at most PushEx:MaxApiBodyDepth (4) levels, the body's own object included."}""";
        Assert.Equal(HttpStatusCode.BadRequest, tooDeep.StatusCode);
        Assert.Equal(Expected, await BodyAsync(tooDeep));
        Assert.Equal(HttpStatusCode.BadRequest, tooDeepElsewhere.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooDeepBeforeAuthorizer.StatusCode);
        Assert.Equal(Expected, await BodyAsync(tooDeepBeforeAuthorizer));
        Assert.Equal(HttpStatusCode.OK, atTheLimit.StatusCode);
        Assert.Equal(3, exceeded.Total);
        // The first push the subscriber sees is the one at the limit.
        Assert.Equal("""["1",null,"t","msg",{"data":[[[1]]],"event":"e","offset":1,"epoch":"…"}]""", Epochs.Mask(await subscriber.ReceiveTextAsync()));
    }

    [Fact]
    public async Task Push_DefaultDepth_64LevelsAccepted_65AnsweredNamingTheLimit()
    {
        await using var host = await PushExTestHost.StartAsync();
        using var http = host.CreateHttpClient();

        using var accepted = await PostAsync(http, $$"""{"channel":"t","data":{{Nested(63)}},"event":"e"}""");
        using var refused = await PostAsync(http, $$"""{"channel":"t","data":{{Nested(64)}},"event":"e"}""");

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("PushEx:MaxApiBodyDepth (64)", await BodyAsync(refused), StringComparison.Ordinal);

        static string Nested(int depth) => new string('[', depth) + new string(']', depth);
    }
}
