using Microsoft.Extensions.Logging;

namespace PushEx.AspNetCore.Sockets.Connections;

internal sealed partial class ConnectionWebSocket
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2111, Level = LogLevel.Debug, EventName = "ConnectionLost",
            Message = "A socket's connection ended without a close handshake.")]
        public static partial void ConnectionLost(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 2112, Level = LogLevel.Debug, EventName = "MessageTooBig",
            Message = "A client sent a message over the limit of {MaxFrameBytes} bytes; the socket is closed with 1009.")]
        public static partial void MessageTooBig(ILogger logger, int maxFrameBytes);

        [LoggerMessage(EventId = 2113, Level = LogLevel.Debug, EventName = "ProtocolViolation",
            Message = "A client broke the WebSocket protocol ({Violation}); the socket is closed.")]
        public static partial void ProtocolViolation(ILogger logger, string violation);

        [LoggerMessage(EventId = 2114, Level = LogLevel.Error, EventName = "SocketFailed",
            Message = "A socket failed unexpectedly; it is closed with 1011.")]
        public static partial void SocketFailed(ILogger logger, Exception exception);
    }
}
