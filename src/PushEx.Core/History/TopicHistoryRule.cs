namespace PushEx.History;

/// <summary>How many pushes the topics starting with <see cref="Prefix"/> keep; 0 turns their history off.</summary>
public sealed class TopicHistoryRule
{
    /// <summary>The start of the topic names the rule is for, such as <c>user:</c>. The longest matching prefix wins.</summary>
    public string Prefix { get; set; } = string.Empty;

    /// <summary>The most pushes a topic keeps (at most for <see cref="HistoryOptions.Window"/>); 0: no history.</summary>
    public int MaxPushes { get; set; }
}
