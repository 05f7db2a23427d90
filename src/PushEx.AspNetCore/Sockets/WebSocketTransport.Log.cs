using Microsoft.Extensions.Logging;

namespace PushEx.AspNetCore.Sockets;

internal sealed partial class WebSocketTransport
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2103, Level = LogLevel.Debug, EventName = "ClosedByWebSocket",
            Message = "The WebSocket refused a client frame and closed the socket itself with {CloseCode}.")]
        public static partial void ClosedByWebSocket(ILogger logger, ushort? closeCode, Exception exception);
    }
}
