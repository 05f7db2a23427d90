namespace PushEx.History;

/// <summary>
/// The history of each topic, from which a client that reconnects is sent what it missed (<c>PushEx:History</c>).
/// Every push to a topic with history gets a <see cref="StreamPosition"/> and is kept for <see cref="Window"/>,
/// at most <see cref="MaxPushesPerTopic"/> of them.
/// </summary>
public sealed class HistoryOptions
{
    /// <summary>Keeps history and recovers reconnecting clients. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The most pushes a topic keeps; <see cref="Rules"/> may say otherwise per topic. Default 100.</summary>
    public int MaxPushesPerTopic { get; set; } = 100;

    /// <summary>How long a push is kept, and how long after a socket ended its clients can recover. Default 2 minutes.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The most pushes one node keeps in memory over all topics (without Redis): when more would be kept, the
    /// oldest go first, whatever their topic. Default 100 000.
    /// </summary>
    public int MaxTotalPushes { get; set; } = 100_000;

    /// <summary>
    /// The most memory one node's kept pushes may hold over all topics (without Redis), estimated per push as its msg
    /// payload plus 136 bytes: when more would be kept, the oldest go first, whatever their topic. A count alone would
    /// let 100 000 pushes of 256 KiB hold 25 GB. Default 256 MiB.
    /// </summary>
    public long MaxTotalBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// How long a topic's epoch and last offset are remembered after its last push, so a client that saw that push
    /// can still be told it missed nothing. Default 24 hours.
    /// </summary>
    public TimeSpan PositionRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Per-topic sizes by topic prefix (the longest matching prefix wins). Default none.</summary>
    public IList<TopicHistoryRule> Rules { get; } = [];
}
