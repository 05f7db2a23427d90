using Microsoft.Extensions.Logging;

namespace PushEx.AspNetCore.Api;

internal sealed partial class PushApiEndpoint
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2201, Level = LogLevel.Debug, EventName = "MalformedBody",
            Message = "A push API request had a body that is not valid JSON; answered 400.")]
        public static partial void MalformedBody(ILogger logger);

        [LoggerMessage(EventId = 2210, Level = LogLevel.Debug, EventName = "BodyTooDeep",
            Message = "A push API request was answered 400: its body nests arrays and objects deeper than PushEx:MaxApiBodyDepth ({MaxApiBodyDepth}); nothing was pushed.")]
        public static partial void BodyTooDeep(ILogger logger, int maxApiBodyDepth);

        [LoggerMessage(EventId = 2202, Level = LogLevel.Error, EventName = "AuthorizerFailed",
            Message = "The push API authorizer threw; the request was answered 500 and nothing was pushed.")]
        public static partial void AuthorizerFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 2204, Level = LogLevel.Debug, EventName = "TooManyChannels",
            Message = "A push API call was answered 422: it names {Channels} channels, over PushEx:MaxChannelsPerPush ({MaxChannelsPerPush}); nothing was pushed.")]
        public static partial void TooManyChannels(ILogger logger, int channels, int maxChannelsPerPush);

        [LoggerMessage(EventId = 2205, Level = LogLevel.Debug, EventName = "ChannelTooLong",
            Message = "A push API call was answered 422: a channel is longer than PushEx:MaxTopicLength ({MaxTopicLength} UTF-8 bytes); nothing was pushed.")]
        public static partial void ChannelTooLong(ILogger logger, int maxTopicLength);

        // Information, not Warning: the caller's error, yet one an operator should see without turning on Debug.
        [LoggerMessage(EventId = 2203, Level = LogLevel.Information, EventName = "PushTooLarge",
            Message = "A push API call was answered 413: its msg payload is {PayloadBytes} bytes, over PushEx:MaxPushBytes ({MaxPushBytes}); none of its {Channels} channels was pushed (event={Event}).")]
        public static partial void PushTooLarge(ILogger logger, int payloadBytes, int maxPushBytes, int channels, string @event);
    }
}
