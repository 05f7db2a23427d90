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

    public long MaxTotalBytes => _options.MaxTotalBytes;

    /// <summary>
    /// The most topic positions, and the most resume positions, one node remembers in memory: 10 per push it may keep
    /// (at least 10 000), so 1 million at the defaults. A position outlives its topic's pushes so that a client that saw
    /// a quiet topic's last push is still told it missed nothing, and costs about 280 bytes (230 measured, and
    /// the 48 of its node in the recency list): at most about 280 MB at the defaults, reached only by a node whose million topics were all pushed to
    /// within the retention. A node with more topics forgets the least recently pushed.
    /// </summary>
    public int MaxPositions => (int)Math.Clamp(10L * _options.MaxTotalPushes, 10_000, int.MaxValue);

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
