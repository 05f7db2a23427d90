namespace PushEx.Benchmarks.Infrastructure;

/// <summary>Counts frames written by every socket's writer and wakes the benchmark when the expected number was reached.</summary>
internal sealed class DeliveryCounter : IDisposable
{
    private readonly ManualResetEventSlim _done = new(false);
    private int _remaining;

    public void Expect(int frames)
    {
        _done.Reset();
        Volatile.Write(ref _remaining, frames);
    }

    public void Signal()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.Set();
        }
    }

    public void Wait()
    {
        if (!_done.Wait(TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException($"{Volatile.Read(ref _remaining)} frame(s) were never written.");
        }
    }

    public void Dispose() => _done.Dispose();
}
