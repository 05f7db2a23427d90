using Microsoft.Extensions.Logging;
using PushEx.Protocol;

namespace PushEx.Sockets;

internal sealed partial class PushSocket
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, EventName = "MalformedFrame",
            Message = "A {Version} client sent a frame that does not follow the protocol (binary: {IsBinary}, {Length} bytes); the socket is closed with 1002.")]
        public static partial void MalformedFrame(ILogger logger, ProtocolVersion version, bool isBinary, int length);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Error, EventName = "JoinCrashed",
            Message = "The socket handler's JoinAsync threw; the join is answered 'join crashed' and the socket stays open.")]
        public static partial void JoinCrashed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, EventName = "TooManyChannels",
            Message = "A join was refused: the socket already has {Limit} channels joined.")]
        public static partial void TooManyChannels(ILogger logger, int limit);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, EventName = "StaleJoinRef",
            Message = "A '{Event}' message carried the join ref of an earlier join of its topic and was dropped.")]
        public static partial void StaleJoinRef(ILogger logger, string @event);

        [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, EventName = "UnsupportedEvent",
            Message = "A client pushed '{Event}' to a joined topic; PushEx channels take no client pushes, so it was answered with an error.")]
        public static partial void UnsupportedEvent(ILogger logger, string @event);
    }
}
