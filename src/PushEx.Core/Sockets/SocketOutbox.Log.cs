using Microsoft.Extensions.Logging;

namespace PushEx.Sockets;

internal sealed partial class SocketOutbox
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, EventName = "SendQueueOverflow",
            Message = "A socket's send queue would hold {QueuedBytes} bytes, over the limit of {LimitBytes}; the client reads too slowly and is disconnected with 1013.")]
        public static partial void SendQueueOverflow(ILogger logger, long queuedBytes, int limitBytes);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, EventName = "WriteFailed",
            Message = "Writing to a socket failed; the connection is aborted.")]
        public static partial void WriteFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, EventName = "SlowConsumerDropped",
            Message = "A socket whose send queue overflowed could not even take its close frame within {Grace}; its connection is dropped.")]
        public static partial void SlowConsumerDropped(ILogger logger, TimeSpan grace);
    }
}
