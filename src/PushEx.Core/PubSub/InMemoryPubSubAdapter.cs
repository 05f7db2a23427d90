using PushEx.History;
using PushEx.Pipeline;
using PushEx.Topics;

namespace PushEx.PubSub;

/// <summary>
/// One node: publishing is keeping the push in the topic's history, then broadcasting it to the local subscribers;
/// nothing crosses a network, and history and resume positions live in this process.
/// </summary>
internal sealed class InMemoryPubSubAdapter(
    LocalBroadcaster broadcaster,
    SocketRegistry sockets,
    InMemoryHistory history,
    InMemoryResumePositions resumePositions) : IPubSubAdapter
{
    public bool IsAvailable => true;

    public bool IsDegraded => false;

    public bool IsUnavailableFor(string topic) => false;

    public ValueTask<bool> PublishAsync(Push push, CancellationToken cancellationToken)
    {
        // Kept first, whether anybody listens or not: a subscriber that reads the history after receiving this push
        // finds it there, and a client reconnecting right now finds it too.
        history.Append(push);
        return ValueTask.FromResult(broadcaster.Broadcast(push) > 0);
    }

    public ValueTask<int> DisconnectAsync(string socketId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(sockets.CloseBySocketId(socketId));

    public ValueTask SubscribeAsync(string topic, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Unsubscribe(string topic)
    {
    }

    public ValueTask<HistoryRead> ReadHistoryAsync(string topic, long afterOffset, CancellationToken cancellationToken) =>
        ValueTask.FromResult(history.Read(topic, afterOffset));

    public ValueTask SaveResumePositionsAsync(string socketId, IReadOnlyList<KeyValuePair<string, StreamPosition>> positions, CancellationToken cancellationToken)
    {
        resumePositions.Save(socketId, positions);
        return ValueTask.CompletedTask;
    }

    public ValueTask<StreamPosition?> FindResumePositionAsync(string socketId, string topic, CancellationToken cancellationToken) =>
        ValueTask.FromResult(resumePositions.Find(socketId, topic));
}
