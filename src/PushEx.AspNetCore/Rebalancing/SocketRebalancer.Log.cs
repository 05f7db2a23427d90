using Microsoft.Extensions.Logging;

namespace PushEx.AspNetCore.Rebalancing;

internal sealed partial class SocketRebalancer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2401, Level = LogLevel.Information, EventName = "RebalanceShedding",
            Message = "PushEx rebalance: {Sockets} sockets here, {Average:F1} on average over {Nodes} nodes; closing {Closing} with 1012 over {Interval}.")]
        public static partial void Shedding(ILogger logger, int sockets, double average, int nodes, int closing, TimeSpan interval);

        [LoggerMessage(EventId = 2402, Level = LogLevel.Error, EventName = "RebalanceRoundFailed",
            Message = "PushEx rebalance: a round failed; the next one tries again.")]
        public static partial void RoundFailed(ILogger logger, Exception exception);
    }
}
