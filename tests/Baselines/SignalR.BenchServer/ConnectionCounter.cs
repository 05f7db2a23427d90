namespace SignalR.BenchServer;

/// <summary>Open hub connections, for <c>GET /stats</c> and <c>GET /gc</c>.</summary>
internal sealed class ConnectionCounter
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Increment() => Interlocked.Increment(ref _count);

    public void Decrement() => Interlocked.Decrement(ref _count);
}
