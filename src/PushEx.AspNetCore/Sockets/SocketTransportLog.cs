using Microsoft.Extensions.Logging;

namespace PushEx.AspNetCore.Sockets;

/// <summary>
/// What both socket transports (the upgraded request's and the connection's own) log alike, under one event id each,
/// so that operators filter one event whichever path a socket took.
/// </summary>
internal static partial class SocketTransportLog
{
    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, EventName = "ConnectionLost",
        Message = "A socket's connection ended without a close handshake.")]
    public static partial void ConnectionLost(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Debug, EventName = "FrameTooBig",
        Message = "A client sent a message over the limit of {MaxFrameBytes} bytes; the socket is closed with 1009.")]
    public static partial void FrameTooBig(ILogger logger, int maxFrameBytes);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Error, EventName = "SocketFailed",
        Message = "A socket failed unexpectedly; it is closed with 1011.")]
    public static partial void SocketFailed(ILogger logger, Exception exception);
}
