using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

/// <summary>
/// The names of PushEx's Redis channels and keys. Channels are all literal (never patterns): one per topic with
/// subscribers somewhere, and <c>{prefix}control</c>, which every node listens to for disconnects.
/// A topic's channel is <c>{prefix}topic:{topic}</c> with classic pub/sub, and <c>{prefix}h:{t:{topic}}:channel</c>
/// (a shard channel) with sharded pub/sub.
/// Keys: a topic's history is <c>{prefix}h:{t:{topic}}:meta</c> (a hash: epoch and last offset) and
/// <c>{prefix}h:{t:{topic}}:log</c> (a stream of its last pushes); a socket id's resume positions are
/// <c>{prefix}r:{s:{socket-id}}</c> (a hash: topic → position); the nodes' socket counts are <c>{prefix}nodes</c> (a hash:
/// node id → count and report time).
/// </summary>
/// <remarks>
/// The braces are a Redis Cluster hash tag: only the part between the first <c>{</c> and the next <c>}</c> picks the
/// slot, so a topic's meta and log live in one slot and the publish script may touch both. The tag starts with
/// <c>t:</c> so that it is never empty, whatever the topic: with <c>{topic}</c>, a topic that is empty or starts
/// with <c>}</c> would make an empty tag, and Redis then hashes the whole key, putting meta and log in different
/// slots. The two keys are the same up to the tag's closing brace, so a topic holding braces of its own still gives
/// both one tag. A prefix that itself holds a tag (<c>{app}:</c>) puts every key in that one slot: still colocated,
/// but on one shard.
/// A shard channel is hashed like a key, and the publish script may publish only to a channel of its keys' slot, so the
/// sharded topic channel has the same stem as the history keys, and the same tag whatever the prefix and the topic.
/// The classic channel keeps its name (a classic channel has no slot), so nodes of a running deployment still agree.
/// </remarks>
internal sealed class RedisChannels(string prefix, bool sharded = false)
{
    private readonly string _topicPrefix = prefix + "topic:";
    private readonly string _historyPrefix = prefix + "h:{t:";
    private readonly string _resumePrefix = prefix + "r:{s:";

    /// <summary>Whether topic channels are shard channels (<c>SPUBLISH</c>, <c>SSUBSCRIBE</c>).</summary>
    public bool Sharded { get; } = sharded;

    public RedisChannel Control { get; } = RedisChannel.Literal(prefix + "control");

    /// <summary>The hash of the nodes' socket counts, which the rebalancer compares.</summary>
    public RedisKey Nodes { get; } = prefix + "nodes";

    public RedisChannel Topic(string topic) => Sharded ? RedisChannel.Sharded(TopicName(topic)) : RedisChannel.Literal(TopicName(topic));

    /// <summary>The name of the topic's channel, as the publish script is given it.</summary>
    public string TopicName(string topic) => Sharded ? _historyPrefix + topic + "}:channel" : _topicPrefix + topic;

    /// <summary>The topic's history keys, in the order the history scripts take them: meta, then log.</summary>
    public RedisKey[] History(string topic)
    {
        var tagged = _historyPrefix + topic + "}:";
        return [tagged + "meta", tagged + "log"];
    }

    /// <summary>A key in the slot of everything of the topic (its history keys, its shard channel), to find that slot.</summary>
    public RedisKey SlotKey(string topic) => _historyPrefix + topic + "}";

    /// <summary>The hash of the resume positions recorded for a socket id.</summary>
    public RedisKey ResumePositions(string socketId) => _resumePrefix + socketId + "}";
}
