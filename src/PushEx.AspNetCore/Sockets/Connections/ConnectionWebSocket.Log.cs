using Microsoft.Extensions.Logging;

namespace PushEx.AspNetCore.Sockets.Connections;

internal sealed partial class ConnectionWebSocket
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2113, Level = LogLevel.Debug, EventName = "ProtocolViolation",
            Message = "A client broke the WebSocket protocol ({Violation}); the socket is closed.")]
        public static partial void ProtocolViolation(ILogger logger, string violation);
    }
}
