using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

/// <summary>
/// The names of PushEx's Redis channels, all literal (never patterns): <c>{prefix}topic:{topic}</c> per topic with
/// subscribers somewhere, and <c>{prefix}control</c>, which every node listens to for disconnects.
/// </summary>
internal sealed class RedisChannels(string prefix)
{
    private readonly string _topicPrefix = prefix + "topic:";

    public RedisChannel Control { get; } = RedisChannel.Literal(prefix + "control");

    public RedisChannel Topic(string topic) => RedisChannel.Literal(_topicPrefix + topic);

    /// <summary>The topic a channel carries, or null for a channel that is not a PushEx topic channel.</summary>
    public string? TopicOf(RedisChannel channel)
    {
        var name = channel.ToString();
        return name.StartsWith(_topicPrefix, StringComparison.Ordinal) ? name[_topicPrefix.Length..] : null;
    }
}
