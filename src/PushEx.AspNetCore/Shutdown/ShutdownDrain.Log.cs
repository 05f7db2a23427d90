using Microsoft.Extensions.Logging;

namespace PushEx.AspNetCore.Shutdown;

internal sealed partial class ShutdownDrain
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2301, Level = LogLevel.Information, EventName = "DrainStarted",
            Message = "PushEx drain started: readiness is unhealthy, new sockets are refused; {Sockets} sockets open, {Pending} pushes pending.")]
        public static partial void DrainStarted(ILogger logger, int sockets, int pending);

        [LoggerMessage(EventId = 2302, Level = LogLevel.Information, EventName = "PipelineDrained",
            Message = "PushEx drain: the {Drained} pushes pending when the drain began were broadcast in {Elapsed}; {Pending} accepted since are pending.")]
        public static partial void PipelineDrained(ILogger logger, int drained, TimeSpan elapsed, int pending);

        [LoggerMessage(EventId = 2303, Level = LogLevel.Warning, EventName = "PipelineDrainTimedOut",
            Message = "PushEx drain: {Left} of the {Drained} pushes pending when the drain began were not broadcast within {Elapsed} (PushEx:ShutdownTimeout); the sockets are closed anyway, and the last stage waits for them again.")]
        public static partial void PipelineDrainTimedOut(ILogger logger, int left, int drained, TimeSpan elapsed);

        [LoggerMessage(EventId = 2304, Level = LogLevel.Information, EventName = "DisconnectingSockets",
            Message = "PushEx drain: closing {Sockets} sockets with 1012, {BatchSize} at a time over {Window}.")]
        public static partial void DisconnectingSockets(ILogger logger, int sockets, int batchSize, TimeSpan window);

        [LoggerMessage(EventId = 2305, Level = LogLevel.Information, EventName = "SocketsDisconnected",
            Message = "PushEx drain: {Closed} sockets closed, {Remaining} still open, after {Elapsed}.")]
        public static partial void SocketsDisconnected(ILogger logger, int closed, int remaining, TimeSpan elapsed);

        [LoggerMessage(EventId = 2306, Level = LogLevel.Information, EventName = "SocketsLeftToHost",
            Message = "PushEx drain: {Sockets} sockets are left to the host's shutdown (PushEx:DisconnectSocketsOnShutdown is off).")]
        public static partial void SocketsLeftToHost(ILogger logger, int sockets);

        [LoggerMessage(EventId = 2311, Level = LogLevel.Information, EventName = "PushRequestsStopped",
            Message = "PushEx drain: the last push request arrived {Since} ago; waited {Waited} for them to stop before refusing pushes.")]
        public static partial void PushRequestsStopped(ILogger logger, TimeSpan since, TimeSpan waited);

        [LoggerMessage(EventId = 2308, Level = LogLevel.Information, EventName = "PipelineClosed",
            Message = "PushEx drain: the pipeline is closed, new pushes are refused (503); waiting for the {Pending} accepted pushes still pending.")]
        public static partial void PipelineClosed(ILogger logger, int pending);

        [LoggerMessage(EventId = 2309, Level = LogLevel.Information, EventName = "PipelineEmpty",
            Message = "PushEx drain: the pipeline is empty ({Drained} pushes broadcast in {Elapsed}).")]
        public static partial void PipelineEmpty(ILogger logger, int drained, TimeSpan elapsed);

        [LoggerMessage(EventId = 2310, Level = LogLevel.Warning, EventName = "PushesLost",
            Message = "PushEx drain: {Pending} accepted pushes were still pending after {Elapsed} (PushEx:ShutdownTimeout); they are lost with this node.")]
        public static partial void PushesLost(ILogger logger, int pending, TimeSpan elapsed);

        [LoggerMessage(EventId = 2307, Level = LogLevel.Warning, EventName = "HostTimeoutReached",
            Message = "PushEx drain: the host's shutdown timeout ended the drain with {Pending} pushes pending and {Sockets} sockets open.")]
        public static partial void HostTimeoutReached(ILogger logger, int pending, int sockets);
    }
}
