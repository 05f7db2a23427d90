using PushEx.History;
using PushEx.Pipeline;
using PushEx.Topics;

namespace PushEx.PubSub;

/// <summary>One node: publishing is broadcasting to the local subscribers, nothing crosses a network.</summary>
internal sealed class InMemoryPubSubAdapter(LocalBroadcaster broadcaster, SocketRegistry sockets) : IPubSubAdapter
{
    public bool IsAvailable => true;

    public ValueTask<bool> PublishAsync(Push push, CancellationToken cancellationToken) =>
        ValueTask.FromResult(broadcaster.Broadcast(push) > 0);

    public ValueTask<int> DisconnectAsync(string socketId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(sockets.CloseBySocketId(socketId));

    public ValueTask SubscribeAsync(string topic, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Unsubscribe(string topic)
    {
    }

    public ValueTask<HistoryRead> ReadHistoryAsync(string topic, long afterOffset, CancellationToken cancellationToken) =>
        ValueTask.FromResult(HistoryRead.None);

    public ValueTask SaveResumePositionsAsync(string socketId, IReadOnlyList<KeyValuePair<string, StreamPosition>> positions, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    public ValueTask<StreamPosition?> FindResumePositionAsync(string socketId, string topic, CancellationToken cancellationToken) =>
        ValueTask.FromResult<StreamPosition?>(null);
}
