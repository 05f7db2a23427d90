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

        // Event id and name kept from when only an overflow's close had a deadline: a client that takes no close frame is a slow consumer too.
        [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, EventName = "SlowConsumerDropped",
            Message = "A socket's close frame could not be written within {Timeout}: the client reads nothing. Its connection is dropped.")]
        public static partial void CloseWriteTimedOut(ILogger logger, TimeSpan timeout);
    }
}
