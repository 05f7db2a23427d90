using PushEx.Sockets;

namespace PushEx.Benchmarks.Infrastructure;

/// <summary>
/// A transport whose writes complete at once and only count: the benchmark measures PushEx's own work per frame
/// (queueing, the writer, joining the prefix and the shared body), not a network stack.
/// </summary>
internal sealed class CountingTransport(DeliveryCounter counter) : ISocketTransport
{
    public ValueTask SendAsync(OutboundFrame frame, CancellationToken cancellationToken)
    {
        counter.Signal();
        return ValueTask.CompletedTask;
    }

    public ValueTask CloseAsync(SocketCloseCode code, string reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Abort()
    {
    }
}
