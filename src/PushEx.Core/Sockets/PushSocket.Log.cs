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

        [LoggerMessage(EventId = 1011, Level = LogLevel.Debug, EventName = "TopicTooLong",
            Message = "A join was refused: its topic is longer than {Limit} UTF-8 bytes.")]
        public static partial void TopicTooLong(ILogger logger, int limit);

        [LoggerMessage(EventId = 1020, Level = LogLevel.Debug, EventName = "TooManyJoins",
            Message = "Joins were refused: the socket joined faster than PushEx:MaxJoinsPerSecond ({Limit} per second, {Burst} at once); the socket stays open. Logged once per run of refused joins.")]
        public static partial void TooManyJoins(ILogger logger, int limit, int burst);

        [LoggerMessage(EventId = 1021, Level = LogLevel.Debug, EventName = "TooManyFrames",
            Message = "A socket sent frames faster than PushEx:MaxFramesPerSecond ({Limit} per second, {Burst} at once); it is closed with 1008.")]
        public static partial void TooManyFrames(ILogger logger, int limit, int burst);

        [LoggerMessage(EventId = 1022, Level = LogLevel.Debug, EventName = "ResumeRecordAwaitsJoin",
            Message = "A socket with a socket id is ending while a join reads its topic's history; where its client stands is recorded once the read is back.")]
        public static partial void ResumeRecordAwaitsJoin(ILogger logger);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, EventName = "StaleJoinRef",
            Message = "A '{Event}' message carried the join ref of an earlier join of its topic and was dropped.")]
        public static partial void StaleJoinRef(ILogger logger, string @event);

        [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, EventName = "UnsupportedEvent",
            Message = "A client pushed '{Event}' to a joined topic; PushEx channels take no client pushes, so it was answered with an error.")]
        public static partial void UnsupportedEvent(ILogger logger, string @event);

        [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, EventName = "RecoverMalformed",
            Message = "A join's 'recover' is not an object with a string epoch and an offset of 0 or more; the join goes on without it.")]
        public static partial void RecoverMalformed(ILogger logger);

        [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, EventName = "HistoryUnavailable",
            Message = "The topic history could not be read for a join; the client gets live pushes only.")]
        public static partial void HistoryUnavailable(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1010, Level = LogLevel.Debug, EventName = "HistoryUnreachable",
            Message = "The topic history is unreachable while the backplane is down; the join gets live pushes only.")]
        public static partial void HistoryUnreachable(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1008, Level = LogLevel.Debug, EventName = "RecoveryImpossible",
            Message = "A join to {Topic} could not be recovered (missed: {Missed}): its history changed or no longer reaches back; the client is told recovered: false.")]
        public static partial void RecoveryImpossible(ILogger logger, string topic, long? missed);

        [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, EventName = "ResumeSaveFailed",
            Message = "Recording where an ended socket's topics stood failed; a reconnect of its socket id gets live pushes only.")]
        public static partial void ResumeSaveFailed(ILogger logger, Exception exception);
    }
}
