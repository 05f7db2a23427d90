using PushEx.History;
using PushEx.Pipeline;
using PushEx.PubSub;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>The real in-memory adapter behind a gate: pushes wait in the pipeline until the test opens it.</summary>
internal sealed class GatedPubSubAdapter(IPubSubAdapter inner) : IPubSubAdapter
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsAvailable => inner.IsAvailable;

    public bool IsDegraded => inner.IsDegraded;

    public bool IsUnavailableFor(string topic) => inner.IsUnavailableFor(topic);

    public void Open() => _gate.TrySetResult();

    public async ValueTask<bool> PublishAsync(Push push, CancellationToken cancellationToken)
    {
        await _gate.Task.WaitAsync(cancellationToken);
        return await inner.PublishAsync(push, cancellationToken);
    }

    public ValueTask<int> DisconnectAsync(string socketId, CancellationToken cancellationToken) => inner.DisconnectAsync(socketId, cancellationToken);

    public ValueTask SubscribeAsync(string topic, CancellationToken cancellationToken) => inner.SubscribeAsync(topic, cancellationToken);

    public void Unsubscribe(string topic) => inner.Unsubscribe(topic);

    public ValueTask<HistoryRead> ReadHistoryAsync(string topic, long afterOffset, CancellationToken cancellationToken) =>
        inner.ReadHistoryAsync(topic, afterOffset, cancellationToken);

    public ValueTask SaveResumePositionsAsync(string socketId, IReadOnlyList<KeyValuePair<string, StreamPosition>> positions, CancellationToken cancellationToken) =>
        inner.SaveResumePositionsAsync(socketId, positions, cancellationToken);

    public ValueTask<StreamPosition?> FindResumePositionAsync(string socketId, string topic, CancellationToken cancellationToken) =>
        inner.FindResumePositionAsync(socketId, topic, cancellationToken);
}
