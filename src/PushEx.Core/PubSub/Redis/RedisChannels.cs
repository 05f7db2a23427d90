using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

/// <summary>
/// The names of PushEx's Redis channels and keys. Channels are all literal (never patterns): <c>{prefix}topic:{topic}</c>
/// per topic with subscribers somewhere, and <c>{prefix}control</c>, which every node listens to for disconnects.
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
/// </remarks>
internal sealed class RedisChannels(string prefix)
{
    private readonly string _topicPrefix = prefix + "topic:";
    private readonly string _historyPrefix = prefix + "h:{t:";
    private readonly string _resumePrefix = prefix + "r:{s:";

    public RedisChannel Control { get; } = RedisChannel.Literal(prefix + "control");

    /// <summary>The hash of the nodes' socket counts, which the rebalancer compares.</summary>
    public RedisKey Nodes { get; } = prefix + "nodes";

    public RedisChannel Topic(string topic) => RedisChannel.Literal(TopicName(topic));

    /// <summary>The name of the topic's channel, as the publish script is given it.</summary>
    public string TopicName(string topic) => _topicPrefix + topic;

    /// <summary>The topic a channel carries, or null for a channel that is not a PushEx topic channel.</summary>
    public string? TopicOf(RedisChannel channel)
    {
        var name = channel.ToString();
        return name.StartsWith(_topicPrefix, StringComparison.Ordinal) ? name[_topicPrefix.Length..] : null;
    }

    /// <summary>The topic's history keys, in the order the history scripts take them: meta, then log.</summary>
    public RedisKey[] History(string topic)
    {
        var tagged = _historyPrefix + topic + "}:";
        return [tagged + "meta", tagged + "log"];
    }

    /// <summary>The hash of the resume positions recorded for a socket id.</summary>
    public RedisKey ResumePositions(string socketId) => _resumePrefix + socketId + "}";
}
