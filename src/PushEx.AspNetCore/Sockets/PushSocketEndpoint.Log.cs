using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace PushEx.AspNetCore.Sockets;

internal sealed partial class PushSocketEndpoint
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, EventName = "OriginRefused",
            Message = "A socket upgrade from origin '{Origin}' was refused with 403: it is not in PushEx:AllowedOrigins.")]
        public static partial void OriginRefused(ILogger logger, StringValues origin);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, EventName = "VsnRefused",
            Message = "A socket upgrade was refused with 403: its vsn parameter names no supported protocol version (1.0.x or 2.0.x).")]
        public static partial void VsnRefused(ILogger logger);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, EventName = "ConnectRefused",
            Message = "A socket upgrade was refused with 403 by the socket handler.")]
        public static partial void ConnectRefused(ILogger logger);

        [LoggerMessage(EventId = 2007, Level = LogLevel.Debug, EventName = "ConnectExpired",
            Message = "A socket upgrade was refused with 403: the socket handler accepted it with an expiry already past.")]
        public static partial void ConnectExpired(ILogger logger);

        [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, EventName = "AuthTokenMalformed",
            Message = "A socket upgrade was refused with 403: its phoenix auth token subprotocol is not base64.")]
        public static partial void AuthTokenMalformed(ILogger logger);

        [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, EventName = "OpenedWhileDraining",
            Message = "A socket that passed the drain check opened after the drain began; it was closed with 1012.")]
        public static partial void OpenedWhileDraining(ILogger logger);

        [LoggerMessage(EventId = 2010, Level = LogLevel.Debug, EventName = "TooManySocketsForId",
            Message = "A socket upgrade was refused with 429: its socket id already has PushEx:MaxSocketsPerSocketId ({Limit}) sockets open on this node.")]
        public static partial void TooManySocketsForId(ILogger logger, int limit);

        [LoggerMessage(EventId = 2011, Level = LogLevel.Debug, EventName = "SocketOpened",
            Message = "A socket opened over the {Transport} transport.")]
        public static partial void SocketOpened(ILogger logger, string transport);

        [LoggerMessage(EventId = 2012, Level = LogLevel.Debug, EventName = "HandshakeAbandoned",
            Message = "A socket accepted on Kestrel's connection ended before its 101 was written.")]
        public static partial void HandshakeAbandoned(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Error, EventName = "ConnectCrashed",
            Message = "The socket handler threw while connecting a socket; the upgrade was refused with 403.")]
        public static partial void ConnectCrashed(ILogger logger, Exception exception);
    }
}
