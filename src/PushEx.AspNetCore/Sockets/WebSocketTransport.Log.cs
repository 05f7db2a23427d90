using Microsoft.Extensions.Logging;

namespace PushEx.AspNetCore.Sockets;

internal sealed partial class WebSocketTransport
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, EventName = "ConnectionLost",
            Message = "A socket's connection ended without a close handshake.")]
        public static partial void ConnectionLost(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 2102, Level = LogLevel.Debug, EventName = "FrameTooBig",
            Message = "A client sent a frame over the limit of {MaxFrameBytes} bytes; the socket is closed with 1009.")]
        public static partial void FrameTooBig(ILogger logger, int maxFrameBytes);

        [LoggerMessage(EventId = 2103, Level = LogLevel.Debug, EventName = "ClosedByWebSocket",
            Message = "The WebSocket refused a client frame and closed the socket itself with {CloseCode}.")]
        public static partial void ClosedByWebSocket(ILogger logger, ushort? closeCode, Exception exception);

        [LoggerMessage(EventId = 2104, Level = LogLevel.Error, EventName = "SocketFailed",
            Message = "A socket failed unexpectedly; it is closed with 1011.")]
        public static partial void SocketFailed(ILogger logger, Exception exception);
    }
}
