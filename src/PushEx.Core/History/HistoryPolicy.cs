using Microsoft.Extensions.Options;

namespace PushEx.History;

/// <summary>Which topics keep history, and how many pushes each keeps.</summary>
internal sealed class HistoryPolicy
{
    private readonly HistoryOptions _options;
    private readonly TopicHistoryRule[] _rulesLongestFirst;

    public HistoryPolicy(IOptions<PushExOptions> options)
    {
        _options = options.Value.History;
        _rulesLongestFirst = [.. _options.Rules.OrderByDescending(rule => rule.Prefix.Length)];
    }

    public TimeSpan Window => _options.Window;

    public TimeSpan PositionRetention => _options.PositionRetention;

    public int MaxTotalPushes => _options.MaxTotalPushes;

    /// <summary>The most pushes <paramref name="topic"/> keeps; 0 when it has no history.</summary>
    public int MaxPushesFor(string topic)
    {
        if (!_options.Enabled)
        {
            return 0;
        }

        foreach (var rule in _rulesLongestFirst)
        {
            if (topic.StartsWith(rule.Prefix, StringComparison.Ordinal))
            {
                return rule.MaxPushes;
            }
        }

        return _options.MaxPushesPerTopic;
    }
}
