using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

internal sealed partial class RedisPubSubAdapter
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1501, Level = LogLevel.Information, EventName = "BackplaneConnected",
            Message = "The Redis backplane is connected (node {Node}).")]
        public static partial void Connected(ILogger logger, Guid node);

        [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, EventName = "BackplaneUnavailable",
            Message = "The Redis backplane is unreachable at startup; readiness is unhealthy and the push API answers 503 until it connects.")]
        public static partial void Unavailable(ILogger logger);

        [LoggerMessage(EventId = 1503, Level = LogLevel.Warning, EventName = "BackplaneLost",
            Message = "The Redis backplane connection was lost ({FailureType}); accepted pushes are retried, new ones refused, until it is back.")]
        public static partial void Lost(ILogger logger, ConnectionFailureType failureType, Exception? exception);

        [LoggerMessage(EventId = 1504, Level = LogLevel.Information, EventName = "BackplaneRestored",
            Message = "The Redis backplane is back; subscriptions are being restored.")]
        public static partial void Restored(ILogger logger);

        [LoggerMessage(EventId = 1509, Level = LogLevel.Warning, EventName = "BackplaneRestoredAfterLosses",
            Message = "The Redis backplane is back; subscriptions are being restored. {Failed} accepted pushes could not be published to other nodes while it was away (metric pushex.pushes.failed).")]
        public static partial void RestoredAfterLosses(ILogger logger, int failed);

        [LoggerMessage(EventId = 1505, Level = LogLevel.Warning, EventName = "ForeignMessage",
            Message = "A message on Redis channel {Channel} is not a PushEx message; it was ignored.")]
        public static partial void ForeignMessage(ILogger logger, string channel);

        [LoggerMessage(EventId = 1506, Level = LogLevel.Error, EventName = "BackplaneHandlerFailed",
            Message = "Handling a message from Redis channel {Channel} failed; the subscription goes on.")]
        public static partial void HandlerFailed(ILogger logger, string channel, Exception exception);

        [LoggerMessage(EventId = 1507, Level = LogLevel.Debug, EventName = "SubscribeFailed",
            Message = "Subscribing to Redis channel {Channel} failed; it is retried.")]
        public static partial void SubscribeFailed(ILogger logger, RedisChannel channel, Exception exception);

        [LoggerMessage(EventId = 1510, Level = LogLevel.Warning, EventName = "SubscribeRefused",
            Message = "Redis refused the subscription to channel {Channel} (check the Redis user's channel permissions); it is retried.")]
        public static partial void SubscribeRefused(ILogger logger, RedisChannel channel, Exception exception);

        [LoggerMessage(EventId = 1511, Level = LogLevel.Error, EventName = "SubscriptionMaintenanceFailed",
            Message = "Maintaining the subscription to Redis channel {Channel} failed; the other channels go on.")]
        public static partial void MaintenanceFailed(ILogger logger, RedisChannel channel, Exception exception);

        [LoggerMessage(EventId = 1512, Level = LogLevel.Debug, EventName = "ResumePositionsNotSaved",
            Message = "The resume positions of an ended socket ({Topics} topics) could not be saved in Redis; its client rejoins without implicit recovery.")]
        public static partial void ResumePositionsNotSaved(ILogger logger, int topics, Exception? exception);

        [LoggerMessage(EventId = 1513, Level = LogLevel.Debug, EventName = "ResumePositionNotRead",
            Message = "The resume position of a joining socket could not be read from Redis; the join goes on without implicit recovery.")]
        public static partial void ResumePositionNotRead(ILogger logger, Exception? exception);

        [LoggerMessage(EventId = 1514, Level = LogLevel.Warning, EventName = "LoadNotShared",
            Message = "The nodes' socket counts could not be shared through Redis; the rebalancer waits until they can.")]
        public static partial void LoadNotShared(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1515, Level = LogLevel.Information, EventName = "LoadSharedAgain",
            Message = "The nodes' socket counts are shared through Redis again.")]
        public static partial void LoadSharedAgain(ILogger logger);

        [LoggerMessage(EventId = 1516, Level = LogLevel.Information, EventName = "PubSubModeDecided",
            Message = "Topic channels use {Mode} pub/sub (RedisOptions.PubSubMode {Configured}).")]
        public static partial void PubSubModeDecided(ILogger logger, RedisPubSubMode mode, RedisPubSubMode configured);

        [LoggerMessage(EventId = 1517, Level = LogLevel.Warning, EventName = "ClusterWithoutShardedPubSub",
            Message = "Redis is a cluster without sharded pub/sub (it needs Redis 7.0); topic channels use classic pub/sub, which sends every push to every shard.")]
        public static partial void ClusterWithoutShardedPubSub(ILogger logger);

        [LoggerMessage(EventId = 1518, Level = LogLevel.Warning, EventName = "ShardDown",
            Message = "The Redis Cluster master {EndPoint} is unreachable; pushes to the topics of its slots are refused (503) until it or a promoted replica serves them. Other topics go on.")]
        public static partial void ShardDown(ILogger logger, string endPoint);

        [LoggerMessage(EventId = 1519, Level = LogLevel.Warning, EventName = "SlotsUncovered",
            Message = "Some Redis Cluster slots have no master; pushes to their topics are refused (503) until they are served again.")]
        public static partial void SlotsUncovered(ILogger logger);

        [LoggerMessage(EventId = 1520, Level = LogLevel.Information, EventName = "ShardsRestored",
            Message = "Every Redis Cluster slot has a reachable master again; pushes to all topics are taken.")]
        public static partial void ShardsRestored(ILogger logger);

        [LoggerMessage(EventId = 1521, Level = LogLevel.Debug, EventName = "ShardCheckFailed",
            Message = "Reading which Redis Cluster masters serve which slots failed; it is read again at the next change, or in a second while a slot is down.")]
        public static partial void ShardCheckFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1508, Level = LogLevel.Debug, EventName = "UnsubscribeFailed",
            Message = "Unsubscribing on Redis failed; the subscription ends with the connection.")]
        public static partial void UnsubscribeFailed(ILogger logger, Exception exception);
    }
}
