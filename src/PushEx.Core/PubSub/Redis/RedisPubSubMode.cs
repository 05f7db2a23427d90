namespace PushEx.PubSub.Redis;

/// <summary>Which Redis pub/sub the topics' channels use (<see cref="RedisOptions.PubSubMode"/>).</summary>
public enum RedisPubSubMode
{
    /// <summary>
    /// Sharded when the server is a Redis Cluster with sharded pub/sub (Redis 7.0 or later), classic otherwise. Decided
    /// once, when the node first connects.
    /// </summary>
    Auto,

    /// <summary>
    /// Classic pub/sub (<c>PUBLISH</c>, <c>SUBSCRIBE</c>). On a Redis Cluster it works, but every message is sent to
    /// every shard, so the cluster's pub/sub does not scale with its shards.
    /// </summary>
    Standalone,

    /// <summary>
    /// Sharded pub/sub (<c>SPUBLISH</c>, <c>SSUBSCRIBE</c>, Redis 7.0 or later): a topic's channel lives on the shard
    /// that holds the topic's history, and a message goes to that shard alone.
    /// </summary>
    Sharded,
}
