using PushEx.Pipeline;

namespace PushEx.History;

/// <summary>What a read of a topic's history found.</summary>
/// <param name="Top">
/// The topic's position now: its epoch and the offset of its last push; null when the topic has no history (history
/// is off for it, it was never pushed to, or it was forgotten).
/// </param>
/// <param name="IsComplete">True when <paramref name="Pushes"/> hold every push after the requested offset, up to <paramref name="Top"/>.</param>
/// <param name="Pushes">The pushes after the requested offset, in order, each with its position; empty when not complete.</param>
internal sealed record HistoryRead(StreamPosition? Top, bool IsComplete, IReadOnlyList<Push> Pushes)
{
    public static readonly HistoryRead None = new(null, false, []);
}
