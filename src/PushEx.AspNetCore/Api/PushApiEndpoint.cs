using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using PushEx.AspNetCore.Shutdown;
using PushEx.Instrumentation;
using PushEx.Pipeline;
using PushEx.Protocol;

namespace PushEx.AspNetCore.Api;

/// <summary>
/// <c>POST {ApiPath}</c>, the original's push controller (PROTOCOL.md §10.4): <c>ApiRequested</c>, authorization
/// before validation, validation, channels de-duplicated in first-seen order, one push per channel, then
/// <c>ApiProcessed</c> and <c>200 {"channel":[…],"data":…,"event":"…"}</c>. A push over
/// <see cref="PushExOptions.MaxPushBytes"/> is answered 413; a full pipeline, an unreachable backplane and a node whose
/// drain has closed its pipeline are answered 503 with <c>Retry-After</c>: either way the whole call is refused, never
/// accepted and dropped.
/// </summary>
internal sealed partial class PushApiEndpoint
{
    private const string RetryAfterSeconds = "1";

    private readonly PushPipeline _pipeline;
    private readonly IPushApiAuthorizer _authorizer;
    private readonly DrainState _drain;
    private readonly InstrumentationHooks _instrumentation;
    private readonly PushMetrics _metrics;
    private readonly int _maxBodyBytes;
    private readonly int _maxBodyDepth;
    private readonly byte[] _bodyTooDeep;
    private readonly int _maxPushBytes;
    private readonly byte[] _pushTooLarge;
    private readonly int _maxTopicLength;
    private readonly byte[] _channelTooLong;
    private readonly int _maxChannelsPerPush;
    private readonly byte[] _tooManyChannels;
    private readonly ILogger _logger;

    public PushApiEndpoint(
        PushPipeline pipeline,
        IPushApiAuthorizer authorizer,
        DrainState drain,
        InstrumentationHooks instrumentation,
        PushMetrics metrics,
        IOptions<PushExOptions> options,
        ILogger<PushApiEndpoint> logger)
    {
        _pipeline = pipeline;
        _authorizer = authorizer;
        _drain = drain;
        _instrumentation = instrumentation;
        _metrics = metrics;
        _maxBodyBytes = options.Value.MaxApiBodyBytes;
        _maxBodyDepth = options.Value.MaxApiBodyDepth;
        _bodyTooDeep = ApiErrors.BodyTooDeep(_maxBodyDepth);
        _maxPushBytes = options.Value.MaxPushBytes;
        _pushTooLarge = ApiErrors.PushTooLarge(_maxPushBytes);
        _maxTopicLength = options.Value.MaxTopicLength;
        _channelTooLong = ApiErrors.ChannelTooLong(_maxTopicLength);
        _maxChannelsPerPush = options.Value.MaxChannelsPerPush;
        _tooManyChannels = ApiErrors.TooManyChannels(_maxChannelsPerPush);
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await HandleCoreAsync(context).ConfigureAwait(false);
        }
        finally
        {
            _metrics.ApiRequest(context.Response.StatusCode);
        }
    }

    private async Task HandleCoreAsync(HttpContext context)
    {
        _drain.PushRequestArrived();
        if (_drain.IsDraining)
        {
            // Pushes are still accepted while this node drains, but keep-alive callers should move to another node.
            context.Response.Headers.Connection = "close";
        }

        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.Headers.Allow = HttpMethods.Post;
            await WriteErrorAsync(context, StatusCodes.Status405MethodNotAllowed, ApiErrors.MethodNotAllowed).ConfigureAwait(false);
            return;
        }

        if (_instrumentation.IsEnabled)
        {
            _instrumentation.ApiRequested();
        }

        if (!AcceptsJson(request))
        {
            await WriteErrorAsync(context, StatusCodes.Status406NotAcceptable, ApiErrors.NotAcceptable).ConfigureAwait(false);
            return;
        }

        if (!IsJsonContent(request))
        {
            await WriteErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, ApiErrors.UnsupportedMediaType).ConfigureAwait(false);
            return;
        }

        if (request.ContentLength > _maxBodyBytes)
        {
            _metrics.LimitExceeded(nameof(PushExOptions.MaxApiBodyBytes));
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ApiErrors.PayloadTooLarge).ConfigureAwait(false);
            return;
        }

        // The whole body stays in the request's pipe (no copy of ours) until the push is queued.
        var reader = request.BodyReader;
        var read = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
        while (!read.IsCompleted && read.Buffer.Length <= _maxBodyBytes)
        {
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            read = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
        }

        try
        {
            if (read.Buffer.Length > _maxBodyBytes)
            {
                _metrics.LimitExceeded(nameof(PushExOptions.MaxApiBodyBytes));
                await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ApiErrors.PayloadTooLarge).ConfigureAwait(false);
                return;
            }

            var verdict = ApiBodyCheck.Check(read.Buffer, _maxBodyDepth);
            if (verdict == ApiBodyVerdict.TooDeep)
            {
                // Before the authorizer: its code, and every subscriber's client, would have to walk the nesting.
                Log.BodyTooDeep(_logger, _maxBodyDepth);
                _metrics.LimitExceeded(nameof(PushExOptions.MaxApiBodyDepth));
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, _bodyTooDeep).ConfigureAwait(false);
                return;
            }

            var document = verdict == ApiBodyVerdict.Valid ? TryParse(read.Buffer) : null;
            if (document is null)
            {
                Log.MalformedBody(_logger);
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.BadRequest).ConfigureAwait(false);
                return;
            }

            using (document)
            {
                await PushAsync(context, document.RootElement).ConfigureAwait(false);
            }
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }
    }

    // Parses a body ApiBodyCheck found valid. A string that is not Unicode (an escaped lone surrogate, bytes that are
    // not UTF-8) would parse, but throw, and not a JsonException, wherever it is read, the authorizer's code included:
    // the check refuses such a body as malformed, as the original's parser does.
    private JsonDocument? TryParse(ReadOnlySequence<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = _maxBodyDepth });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task PushAsync(HttpContext context, JsonElement parameters)
    {
        PushApiAuthorization authorization;
        try
        {
            authorization = await _authorizer.AuthorizeAsync(new PushApiAuthorizationContext(context, parameters), context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            Log.AuthorizerFailed(_logger, ex);
            if (!context.Response.HasStarted)
            {
                await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, ApiErrors.InternalServerError).ConfigureAwait(false);
            }

            return;
        }

        switch (authorization.Kind)
        {
            case PushApiAuthorizationKind.Forbid:
                await WriteErrorAsync(context, StatusCodes.Status403Forbidden, ApiErrors.Forbidden).ConfigureAwait(false);
                return;
            case PushApiAuthorizationKind.Handled:
                return;
        }

        var request = PushApiRequest.TryRead(authorization.Params ?? parameters);
        if (request is null)
        {
            await WriteErrorAsync(context, StatusCodes.Status422UnprocessableEntity, ApiErrors.InvalidArguments).ConfigureAwait(false);
            return;
        }

        if (OverLimit(request) is { } limitError)
        {
            // Refused whole, as a call is accepted: all channels or none.
            await WriteErrorAsync(context, StatusCodes.Status422UnprocessableEntity, limitError).ConfigureAwait(false);
            return;
        }

        // One copy of the data, inside the one "msg" payload shared by the push of every channel.
        var content = new PushContent(request.Event, JsonMarshal.GetRawUtf8Value(request.Data));
        if (content.MsgPayload.Length > _maxPushBytes)
        {
            // Every channel shares the content, so the whole call is refused, as it is accepted: all or none.
            Log.PushTooLarge(_logger, content.MsgPayload.Length, _maxPushBytes, request.Channels.Count, request.Event);
            _metrics.LimitExceeded(nameof(PushExOptions.MaxPushBytes));
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, _pushTooLarge).ConfigureAwait(false);
            return;
        }

        var pushes = new Push[request.Channels.Count];
        for (var i = 0; i < pushes.Length; i++)
        {
            pushes[i] = _pipeline.CreatePush(request.Channels[i], content);
        }

        var result = _pipeline.TryAccept(pushes);
        if (result != PublishResult.Accepted)
        {
            context.Response.Headers.RetryAfter = RetryAfterSeconds;
            var error = result switch
            {
                PublishResult.BufferFull => ApiErrors.BufferFull,
                PublishResult.ShuttingDown => ApiErrors.ShuttingDown,
                _ => ApiErrors.BackplaneUnavailable,
            };
            await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, error).ConfigureAwait(false);
            return;
        }

        if (_instrumentation.IsEnabled)
        {
            _instrumentation.ApiProcessed();
        }

        context.Response.StatusCode = authorization.StatusCode;
        context.Response.ContentType = "application/json; charset=utf-8";
        await WriteAcceptedAsync(context.Response, request, content.Data).ConfigureAwait(false);
    }

    // The error body of the first limit the call is over (PushEx:MaxChannelsPerPush, PushEx:MaxTopicLength), or null.
    private byte[]? OverLimit(PushApiRequest request)
    {
        if (request.Channels.Count > _maxChannelsPerPush)
        {
            Log.TooManyChannels(_logger, request.Channels.Count, _maxChannelsPerPush);
            _metrics.LimitExceeded(nameof(PushExOptions.MaxChannelsPerPush));
            return _tooManyChannels;
        }

        foreach (var channel in request.Channels)
        {
            if (Encoding.UTF8.GetByteCount(channel) > _maxTopicLength)
            {
                Log.ChannelTooLong(_logger, _maxTopicLength);
                _metrics.LimitExceeded(nameof(PushExOptions.MaxTopicLength));
                return _channelTooLong;
            }
        }

        return null;
    }

    // The response echoes the de-duplicated channels and the data exactly as it will be pushed.
    private static async Task WriteAcceptedAsync(HttpResponse response, PushApiRequest request, ReadOnlyMemory<byte> data)
    {
        await using (var writer = new Utf8JsonWriter(response.BodyWriter, PhoenixSerializer.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("channel"u8);
            foreach (var channel in request.Channels)
            {
                writer.WriteStringValue(channel);
            }

            writer.WriteEndArray();
            writer.WritePropertyName("data"u8);
            writer.WriteRawValue(data.Span, skipInputValidation: true);
            writer.WriteString("event"u8, request.Event);
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync().ConfigureAwait(false);
    }

    // Absent or */* is fine; otherwise the Accept header must allow JSON, as the original's :api pipeline requires.
    private static bool AcceptsJson(HttpRequest request)
    {
        if (request.Headers.Accept.Count == 0 || !MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted))
        {
            return true;
        }

        foreach (var mediaType in accepted)
        {
            if (mediaType.MatchesAllTypes
                || (mediaType.MatchesAllSubTypes && mediaType.Type.Equals("application", StringComparison.OrdinalIgnoreCase))
                || mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    // A body without a content type is read as JSON too: curl -d without -H is the commonest mistake.
    private static bool IsJsonContent(HttpRequest request) =>
        string.IsNullOrEmpty(request.ContentType)
        || (MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)));

    private static async Task WriteErrorAsync(HttpContext context, int statusCode, ReadOnlyMemory<byte> body)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
