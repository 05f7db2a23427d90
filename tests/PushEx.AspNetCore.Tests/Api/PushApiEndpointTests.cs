using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Instrumentation;
using PushEx.Pipeline;
using PushEx.PubSub;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;

namespace PushEx.AspNetCore.Tests.Api;

public sealed partial class PushApiEndpointTests
{
    private const string InvalidArguments = """{"error":"Invalid push arguments: channel, data, event are required."}""";

    // The default of PushExOptions.MaxPushBytes.
    private const int DefaultMaxPushBytes = 256 * 1024;

    // The msg payload {"data":"…","event":"e"} is the data string's characters plus 23 bytes.
    private const int MsgPayloadOverhead = 23;

    [Fact]
    public async Task Push_ToJoinedV2AndV1Subscribers_DeliversExactMsgFrames()
    {
        await using var host = await PushExTestHost.StartAsync();
        await using var v2 = await JoinAsync(host, "room:1", "vsn=2.0.0");
        await using var v1 = await TestWebSocket.ConnectAsync(host.SocketUri(query: ""));
        await v1.SendTextAsync("""{"topic":"room:1","event":"phx_join","payload":{},"ref":"1"}""");
        await v1.ReceiveTextAsync();
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, """{"channel":"room:1","data":{"id":1},"event":"created"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"channel":["room:1"],"data":{"id":1},"event":"created"}""", await BodyAsync(response));
        Assert.Equal("""["3",null,"room:1","msg",{"data":{"id":1},"event":"created","offset":1,"epoch":"…"}]""", Epochs.Mask(await v2.ReceiveTextAsync()));
        Assert.Equal("""{"topic":"room:1","event":"msg","payload":{"data":{"id":1},"event":"created","offset":1,"epoch":"…"},"ref":null}""", Epochs.Mask(await v1.ReceiveTextAsync()));
    }

    [Fact]
    public async Task Push_TwoSubscribers_EachGetsItsOwnJoinRef_DeliveredTwice()
    {
        var instrumentation = new RecordingInstrumentation();
        await using var host = await PushExTestHost.StartAsync(configureServices: services => services.AddSingleton<IPushInstrumentation>(instrumentation));
        await using var first = await JoinAsync(host, "t", joinRef: "3");
        await using var second = await JoinAsync(host, "t", joinRef: "11");
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, """{"channel":"t","data":"d","event":"e"}""");

        Assert.Equal("""["3",null,"t","msg",{"data":"d","event":"e","offset":1,"epoch":"…"}]""", Epochs.Mask(await first.ReceiveTextAsync()));
        Assert.Equal("""["11",null,"t","msg",{"data":"d","event":"e","offset":1,"epoch":"…"}]""", Epochs.Mask(await second.ReceiveTextAsync()));
        await Eventually.TrueAsync(() => instrumentation.Count("Delivered") == 2, "Delivered ran once per subscriber");
        Assert.Equal(["ApiRequested", "Requested", "ApiProcessed"], instrumentation.Calls.Where(c => c != "Delivered"));
    }

    [Fact]
    public async Task Push_NoSubscribers_Answers200AndDeliversNothing()
    {
        var instrumentation = new RecordingInstrumentation();
        await using var host = await PushExTestHost.StartAsync(configureServices: services => services.AddSingleton<IPushInstrumentation>(instrumentation));
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, """{"channel":"nobody","data":"d","event":"e"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.TrueAsync(() => host.GetRequiredService<PushPipeline>().Pending == 0, "the push was processed");
        Assert.Equal(0, instrumentation.Count("Delivered"));
        Assert.Equal(1, instrumentation.Count("Requested"));
    }

    [Fact]
    public async Task Push_JoinWithReplyObject_IsStillASubscriber()
    {
        await using var host = await PushExTestHost.StartAsync();
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());
        await client.SendTextAsync("""["3","3","reply","phx_join",{}]""");
        Assert.Equal("""["3","3","reply","phx_reply",{"status":"ok","response":{"hello":"world"}}]""", await client.ReceiveTextAsync());
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, """{"channel":"reply","data":1,"event":"e"}""");

        Assert.Equal("""["3",null,"reply","msg",{"data":1,"event":"e","offset":1,"epoch":"…"}]""", Epochs.Mask(await client.ReceiveTextAsync()));
    }

    [Fact]
    public async Task Push_DuplicateChannels_DeduplicatedInFirstSeenOrder_OneRequestedEach()
    {
        var instrumentation = new RecordingInstrumentation();
        await using var host = await PushExTestHost.StartAsync(configureServices: services => services.AddSingleton<IPushInstrumentation>(instrumentation));
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, """{"channel":["a","b","a"],"data":{"x":1},"event":"e"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"channel":["a","b"],"data":{"x":1},"event":"e"}""", await BodyAsync(response));
        Assert.Equal(2, instrumentation.Count("Requested"));
    }

    [Theory]
    [InlineData("""{"channel":"c","data":null,"event":"e"}""", """{"channel":["c"],"data":null,"event":"e"}""")]
    [InlineData("""{"channel":[],"data":"d","event":"e"}""", """{"channel":[],"data":"d","event":"e"}""")]
    [InlineData("""{"channel":"c","data":[1,"two",null],"event":"ünï"}""", """{"channel":["c"],"data":[1,"two",null],"event":"ünï"}""")]
    public async Task Push_ValidEdgeCases_Answer200EchoingThePush(string body, string expected)
    {
        await using var host = await PushExTestHost.StartAsync();
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, await BodyAsync(response));
    }

    [Theory]
    [InlineData("""{"data":"d","event":"e"}""")]
    [InlineData("""{"channel":"c","event":"e"}""")]
    [InlineData("""{"channel":"c","data":"d"}""")]
    [InlineData("""{"channel":"c","data":"d","event":1}""")]
    [InlineData("""{"channel":{"a":1},"data":"d","event":"e"}""")]
    [InlineData("""{"channel":["a",2],"data":"d","event":"e"}""")]
    [InlineData("""[1,2]""")]
    public async Task Push_InvalidArguments_Is422WithTheOriginalsMessage(string body)
    {
        await using var host = await PushExTestHost.StartAsync();
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(InvalidArguments, await BodyAsync(response));
    }

    [Fact]
    public async Task Push_Unauthorized_Is403EvenWithInvalidArguments()
    {
        var instrumentation = new RecordingInstrumentation();
        await using var host = await PushExTestHost.StartAsync(configureServices: services => services.AddSingleton<IPushInstrumentation>(instrumentation));
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, """{"channel":"c"}""", key: "wrong");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("""{"error":"Access forbidden"}""", await BodyAsync(response));
        Assert.Equal(["ApiRequested"], instrumentation.Calls);
    }

    [Fact]
    public async Task Push_AuthorizerWritesItsOwnResponse_NothingPushed()
    {
        var instrumentation = new RecordingInstrumentation();
        await using var host = await PushExTestHost.StartAsync(configureServices: services => services.AddSingleton<IPushInstrumentation>(instrumentation));
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, """{"channel":"c","data":"d","event":"e"}""", key: "handled");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("resp", await BodyAsync(response));
        Assert.Equal(0, instrumentation.Count("Requested"));
    }

    [Fact]
    public async Task Push_AuthorizerSetsStatusAndReplacesParams_UsesBoth()
    {
        await using var host = await PushExTestHost.StartAsync();
        using var http = host.CreateHttpClient();

        using var accepted = await PostAsync(http, """{"channel":"c","data":"d","event":"e"}""", key: "accepted");
        using var modified = await PostAsync(http, """{"channel":"c","data":"d","event":"e"}""", key: "modify");

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, modified.StatusCode);
        Assert.Equal("""{"channel":["modified"],"data":"d","event":"e"}""", await BodyAsync(modified));
    }

    [Fact]
    public async Task Push_AuthorizerThrows_Is500Json_NothingPushed_ServerFine()
    {
        var instrumentation = new RecordingInstrumentation();
        await using var host = await PushExTestHost.StartAsync(configureServices: services => services.AddSingleton<IPushInstrumentation>(instrumentation));
        using var http = host.CreateHttpClient();

        using var failed = await PostAsync(http, """{"channel":"c","data":"d","event":"e"}""", key: "throw");
        using var next = await PostAsync(http, """{"channel":"c","data":"d","event":"e"}""");

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("""{"errors":{"detail":"Internal Server Error"}}""", await BodyAsync(failed));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(1, instrumentation.Count("Requested"));
    }

    [Fact]
    public async Task Push_MalformedJson_Is400Json()
    {
        await using var host = await PushExTestHost.StartAsync();
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, """{"channel":""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"errors":{"detail":"Bad Request"}}""", await BodyAsync(response));
    }

    [Fact]
    public async Task Push_AcceptHtmlOnly_Is406()
    {
        await using var host = await PushExTestHost.StartAsync();
        using var http = host.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/push", UriKind.Relative))
        {
            Content = new StringContent("""{"channel":"c","data":"d","event":"e"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestApiAuthorizer.Key);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }

    [Fact]
    public async Task Push_WrongMethod_Is405WithAllow()
    {
        await using var host = await PushExTestHost.StartAsync();
        using var http = host.CreateHttpClient();

        using var response = await http.GetAsync(new Uri("/api/push", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("POST", response.Content.Headers.Allow.Single());
    }

    [Fact]
    public async Task Push_BodyOverTheLimit_Is413()
    {
        await using var host = await PushExTestHost.StartAsync(options => options.MaxApiBodyBytes = 1024);
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, $$"""{"channel":"c","data":"{{new string('x', 2048)}}","event":"e"}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Push_ChunkedBodyOverTheLimit_Is413()
    {
        await using var host = await PushExTestHost.StartAsync(options => options.MaxApiBodyBytes = 1024);
        using var http = host.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/push", UriKind.Relative))
        {
            Content = new ChunkedContent($$"""{"channel":"c","data":"{{new string('x', 4096)}}","event":"e"}"""),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestApiAuthorizer.Key);

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Null(request.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Push_MsgPayloadOneOverMaxPushBytes_Is413NamingTheLimit_AndNoChannelOfTheCallIsPublished()
    {
        var published = new List<string>();
        var adapter = Substitute.For<IPubSubAdapter>();
        adapter.IsAvailable.Returns(true);
        adapter.PublishAsync(Arg.Any<Push>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            lock (published)
            {
                published.Add(call.Arg<Push>().Channel);
            }

            return ValueTask.FromResult(true);
        });
        await using var host = await PushExTestHost.StartAsync(configureServices: services => services.AddSingleton(adapter));
        using var http = host.CreateHttpClient();
        var data = new string('x', DefaultMaxPushBytes - MsgPayloadOverhead + 1);

        using var response = await PostAsync(http, $$"""{"channel":["a","b"],"data":"{{data}}","event":"e"}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var body = JsonDocument.Parse(await BodyAsync(response));
        var error = body.RootElement.GetProperty("error").GetString();
        Assert.Contains("PushEx:MaxPushBytes", error, StringComparison.Ordinal);
        Assert.DoesNotContain("xxxx", error, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => host.GetRequiredService<PushPipeline>().Pending == 0, "anything accepted was published");
        lock (published)
        {
            Assert.Empty(published);
        }
    }

    [Fact]
    public async Task Push_MsgPayloadExactlyMaxPushBytes_Is200()
    {
        await using var host = await PushExTestHost.StartAsync();
        using var http = host.CreateHttpClient();
        var data = new string('x', DefaultMaxPushBytes - MsgPayloadOverhead);

        using var response = await PostAsync(http, $$"""{"channel":["a","b"],"data":"{{data}}","event":"e"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Push_BufferFull_Is503WithRetryAfter_AndNothingAcceptedIsLost()
    {
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var published = new List<string>();
        var adapter = Substitute.For<IPubSubAdapter>();
        adapter.IsAvailable.Returns(true);
        adapter.PublishAsync(Arg.Any<Push>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            lock (published)
            {
                published.Add(call.Arg<Push>().Event);
            }

            return new ValueTask<bool>(release.Task);
        });
        await using var host = await PushExTestHost.StartAsync(
            options =>
            {
                options.ProducerMaxBuffer = 2;
                options.ProducerMaxConcurrency = 1;
            },
            services => services.AddSingleton(adapter));
        using var http = host.CreateHttpClient();

        using var first = await PostAsync(http, """{"channel":"c","data":1,"event":"first"}""");
        using var second = await PostAsync(http, """{"channel":"c","data":2,"event":"second"}""");
        using var refused = await PostAsync(http, """{"channel":"c","data":3,"event":"third"}""");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Equal("""{"error":"Push buffer full; retry later."}""", await BodyAsync(refused));

        release.SetResult(true);
        await Eventually.TrueAsync(() => host.GetRequiredService<PushPipeline>().Pending == 0, "the buffer drained");
        lock (published)
        {
            Assert.Equal(["first", "second"], published);
        }

        using var afterwards = await PostAsync(http, """{"channel":"c","data":4,"event":"fourth"}""");
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }

    [Fact]
    public async Task Push_ThousandToOneTopicWhileOthersAreBusy_ArriveInOrder()
    {
        await using var host = await PushExTestHost.StartAsync();
        await using var ordered = await JoinAsync(host, "ordered");
        var busy = new List<TestWebSocket>();
        for (var i = 0; i < 4; i++)
        {
            busy.Add(await JoinAsync(host, $"busy:{i}"));
        }

        using var http = host.CreateHttpClient();
        using var stopNoise = new CancellationTokenSource();
        var noise = Task.Run(
            async () =>
            {
                for (var n = 0; !stopNoise.IsCancellationRequested; n++)
                {
                    using var response = await PostAsync(http, $$"""{"channel":["busy:0","busy:1","busy:2","busy:3"],"data":{{n}},"event":"noise"}""");
                }
            },
            TestContext.Current.CancellationToken);

        for (var i = 0; i < 1000; i++)
        {
            using var response = await PostAsync(http, $$"""{"channel":"ordered","data":{{i}},"event":"e"}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal($$"""["3",null,"ordered","msg",{"data":{{i}},"event":"e","offset":{{i + 1}},"epoch":"…"}]""", Epochs.Mask(await ordered.ReceiveTextAsync()));
        }

        await stopNoise.CancelAsync();
        await noise.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        foreach (var socket in busy)
        {
            await socket.DisposeAsync();
        }
    }

    [Fact]
    public async Task Instrumentation_TwoListenersAndAThrowingOne_AllHooksRunInOrderAndDeliveryGoesOn()
    {
        var first = new RecordingInstrumentation();
        var second = new RecordingInstrumentation();
        await using var host = await PushExTestHost.StartAsync(configureServices: services =>
        {
            services.AddSingleton<IPushInstrumentation>(first);
            services.AddSingleton<IPushInstrumentation>(new ThrowingInstrumentation());
            services.AddSingleton<IPushInstrumentation>(second);
        });
        await using var client = await JoinAsync(host, "t");
        using var http = host.CreateHttpClient();

        using var response = await PostAsync(http, """{"channel":"t","data":"d","event":"e"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""["3",null,"t","msg",{"data":"d","event":"e","offset":1,"epoch":"…"}]""", Epochs.Mask(await client.ReceiveTextAsync()));
        await Eventually.TrueAsync(() => second.Count("Delivered") == 1 && second.Count("ApiProcessed") == 1, "Delivered and ApiProcessed reached the last instrumentation");

        // Delivered runs on the push's worker, so it may come before or after the request's ApiProcessed; each
        // instrumentation sees every hook once, the request's in order, and the delivery after the push was requested.
        foreach (var calls in new[] { first.Calls, second.Calls })
        {
            Assert.Equal(["ApiRequested", "Requested", "ApiProcessed"], calls.Where(call => call != "Delivered"));
            Assert.Equal(1, calls.Count(call => call == "Delivered"));
            Assert.True(calls.ToList().IndexOf("Delivered") > calls.ToList().IndexOf("Requested"), string.Join(", ", calls));
        }

        Assert.Equal("t", first.LastPush?.Channel);
        Assert.InRange(first.LastContext.UnixMsOccurredAt, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    private static async Task<TestWebSocket> JoinAsync(PushExTestHost host, string topic, string query = "vsn=2.0.0", string joinRef = "3")
    {
        var client = await TestWebSocket.ConnectAsync(host.SocketUri(query));
        await client.SendTextAsync($$"""["{{joinRef}}","{{joinRef}}","{{topic}}","phx_join",{}]""");
        Assert.Contains("\"ok\"", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        return client;
    }

    private sealed class RecordingInstrumentation : IPushInstrumentation
    {
        private readonly List<string> _calls = [];

        public IReadOnlyList<string> Calls
        {
            get
            {
                lock (_calls)
                {
                    return [.. _calls];
                }
            }
        }

        public Push? LastPush { get; private set; }

        public InstrumentationContext LastContext { get; private set; }

        public int Count(string hook) => Calls.Count(call => call == hook);

        public void ApiRequested(InstrumentationContext context) => Record(nameof(ApiRequested), null, context);

        public void Requested(Push push, InstrumentationContext context) => Record(nameof(Requested), push, context);

        public void ApiProcessed(InstrumentationContext context) => Record(nameof(ApiProcessed), null, context);

        public void Delivered(Push push, InstrumentationContext context) => Record(nameof(Delivered), push, context);

        private void Record(string hook, Push? push, InstrumentationContext context)
        {
            lock (_calls)
            {
                _calls.Add(hook);
                LastPush = push ?? LastPush;
                LastContext = context;
            }
        }
    }

    // A body of unknown length, sent chunked, so only reading it can find it too large.
    private sealed class ChunkedContent(string text) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private sealed class ThrowingInstrumentation : IPushInstrumentation
    {
        public void ApiRequested(InstrumentationContext context) => throw new InvalidOperationException("boom");

        public void Requested(Push push, InstrumentationContext context) => throw new InvalidOperationException("boom");

        public void ApiProcessed(InstrumentationContext context) => throw new InvalidOperationException("boom");

        public void Delivered(Push push, InstrumentationContext context) => throw new InvalidOperationException("boom");
    }
}
