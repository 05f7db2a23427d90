using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

/// <summary>
/// Settings of the Redis backplane (<c>AddPushEx().AddRedis(…)</c>). Give one of <see cref="Configuration"/> or
/// <see cref="ConnectionFactory"/>; a configuration string passed to <c>AddRedis</c> fills <see cref="Configuration"/>.
/// </summary>
public sealed class RedisOptions
{
    /// <summary>
    /// The StackExchange.Redis configuration. PushEx sets <c>AbortOnConnectFail = false</c> on it, so the app starts
    /// while Redis is down (readiness then reports the backplane as unavailable).
    /// </summary>
    public ConfigurationOptions? Configuration { get; set; }

    /// <summary>
    /// Supplies an existing multiplexer instead (apps often have one already). PushEx does not dispose a
    /// multiplexer it did not create.
    /// </summary>
    public Func<CancellationToken, Task<IConnectionMultiplexer>>? ConnectionFactory { get; set; }

    /// <summary>Prefix of every Redis channel PushEx uses, so several apps can share one Redis. Default <c>pushex:</c>.</summary>
    public string ChannelPrefix { get; set; } = "pushex:";

    /// <summary>
    /// How long after its acceptance a push is retried while Redis is unreachable, before it is counted and logged as
    /// failed. Default 10 seconds.
    /// </summary>
    public TimeSpan PublishRetryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a node stays subscribed to a topic after its last local subscriber left, so a page reload does not
    /// unsubscribe and subscribe again. Default 2 seconds.
    /// </summary>
    public TimeSpan UnsubscribeDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Classic or sharded pub/sub for the topics' channels. Default <see cref="RedisPubSubMode.Auto"/>: sharded on a
    /// Redis Cluster of version 7.0 or later, classic otherwise. Every node of a deployment must use the same mode (they
    /// do with <c>Auto</c> on one Redis): a sharded publish reaches no classic subscriber. The control channel
    /// (disconnects by socket id) is classic in both modes.
    /// </summary>
    public RedisPubSubMode PubSubMode { get; set; } = RedisPubSubMode.Auto;
}
