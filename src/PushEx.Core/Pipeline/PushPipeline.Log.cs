using Microsoft.Extensions.Logging;

namespace PushEx.Pipeline;

internal sealed partial class PushPipeline
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, Level = LogLevel.Debug, EventName = "Broadcast",
            Message = "Push broadcast channel={Channel} event={Event} ms_in_stage={MsInStage}")]
        public static partial void Broadcast(ILogger logger, string channel, string @event, long msInStage);

        [LoggerMessage(EventId = 1302, Level = LogLevel.Debug, EventName = "NoListeners",
            Message = "Push no_listeners channel={Channel} event={Event} ms_in_stage={MsInStage}")]
        public static partial void NoListeners(ILogger logger, string channel, string @event, long msInStage);

        [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, EventName = "BroadcastFailed",
            Message = "An accepted push could not be broadcast and is lost: channel={Channel} event={Event}")]
        public static partial void BroadcastFailed(ILogger logger, string channel, string @event, Exception exception);

        [LoggerMessage(EventId = 1306, Level = LogLevel.Debug, EventName = "BackplaneFailed",
            Message = "An accepted push could not be published to the backplane before its retry deadline and is lost for other nodes: channel={Channel} event={Event}")]
        public static partial void BackplaneFailed(ILogger logger, string channel, string @event);

        [LoggerMessage(EventId = 1307, Level = LogLevel.Warning, EventName = "DisposedWithPending",
            Message = "The push pipeline stopped with {Pending} accepted pushes not yet broadcast; they are lost.")]
        public static partial void DisposedWithPending(ILogger logger, int pending);

        [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, EventName = "BufferFull",
            Message = "The push pipeline holds {Capacity} pushes (PushEx:ProducerMaxBuffer); new pushes are refused until it drains.")]
        public static partial void BufferFull(ILogger logger, int capacity);

        [LoggerMessage(EventId = 1305, Level = LogLevel.Information, EventName = "BufferAccepting",
            Message = "The push pipeline has room again and accepts pushes.")]
        public static partial void BufferAccepting(ILogger logger);
    }
}
