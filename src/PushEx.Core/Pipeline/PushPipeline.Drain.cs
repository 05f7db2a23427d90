namespace PushEx.Pipeline;

internal sealed partial class PushPipeline
{
    private const long ClosedFlag = 1L << 62;
    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromMilliseconds(int.MaxValue);

    // Set while a drain waits; a worker that has broadcast a push completes it, and the drain looks again.
    private TaskCompletionSource? _progress;
    private int _disposed;

    /// <summary>
    /// Waits until every push accepted before the call has been broadcast, or <paramref name="timeout"/> has passed.
    /// Pushes accepted meanwhile are not waited for: under steady load, waiting for none to be pending would wait for
    /// the timeout every time. Returns how many of the pushes accepted before the call were still pending when it gave up
    /// (0 when they are all out).
    /// </summary>
    /// <remarks>
    /// Each partition is broadcast in the order it was given pushes, so its counts make an exact watermark: the pushes
    /// accepted before the call are out once each partition has broadcast as many pushes as it had been given then.
    /// Once the pipeline is closed, nothing more is accepted, and the wait is simply for none to be pending.
    /// </remarks>
    public Task<int> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (IsClosed)
        {
            return WaitAsync(static (pipeline, _) => pipeline.Pending, null, timeout, cancellationToken);
        }

        var watermark = new long[_partitions.Length];
        for (var i = 0; i < watermark.Length; i++)
        {
            watermark[i] = Interlocked.Read(ref _partitions[i].Accepted);
        }

        return WaitAsync(static (pipeline, watermark) => pipeline.BelowWatermark(watermark!), watermark, timeout, cancellationToken);
    }

    /// <summary>
    /// Closes the pipeline: from now on every push is refused with <see cref="PublishResult.ShuttingDown"/>, and the
    /// pending count only goes down. Returns how many pushes were pending at that moment. The workers go on.
    /// </summary>
    public int Close() => (int)(Interlocked.Or(ref _pending, ClosedFlag) & ~ClosedFlag);

    /// <summary>
    /// Closes the pipeline, stops the workers and waits for them. Pushes still pending are lost; they are logged as a
    /// count. The drain has waited for them already, so normally there are none.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (StopWorkers())
        {
            // Unblocks a broadcast that waits on the backplane; the rest of the queue then fails fast.
            await _disposing.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(_workers).ConfigureAwait(false);
            _disposing.Dispose();
        }
    }

    /// <summary>As <see cref="DisposeAsync"/>, without waiting for the workers, for a container disposed synchronously.</summary>
    public void Dispose()
    {
        if (StopWorkers())
        {
            _disposing.Cancel();
        }
    }

    // Closes the pipeline and completes the queues, so the workers end once they are empty; true the first time.
    private bool StopWorkers()
    {
        // The container disposes it twice: as PushPipeline and as IPushPublisher.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return false;
        }

        Close();
        foreach (var partition in _partitions)
        {
            partition.Queue.Writer.TryComplete();
        }

        var lost = Pending;
        if (lost > 0)
        {
            Log.DisposedWithPending(_logger, lost);
        }

        return true;
    }

    private int BelowWatermark(long[] watermark)
    {
        long left = 0;
        for (var i = 0; i < watermark.Length; i++)
        {
            left += Math.Max(0, watermark[i] - Interlocked.Read(ref _partitions[i].Broadcast));
        }

        return (int)left;
    }

    private async Task<int> WaitAsync(Func<PushPipeline, long[]?, int> left, long[]? state, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (left(this, state) is var initially && (initially == 0 || timeout <= TimeSpan.Zero))
        {
            return initially;
        }

        // Beyond what a timer takes, a timeout is as good as none.
        using var timedOut = new CancellationTokenSource(timeout < MaxTimerDelay ? timeout : Timeout.InfiniteTimeSpan, _timeProvider);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timedOut.Token, cancellationToken);
        try
        {
            while (true)
            {
                // Published before looking (a full fence each side): either this look sees a worker's progress, or
                // that worker, looking after its own count, finds this signal and completes it.
                var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var progress = Interlocked.CompareExchange(ref _progress, fresh, null) ?? fresh;
                if (left(this, state) == 0)
                {
                    return 0;
                }

                await progress.Task.WaitAsync(stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timedOut.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return left(this, state);
        }
    }

    private void SignalProgress()
    {
        if (Volatile.Read(ref _progress) is not null)
        {
            Interlocked.Exchange(ref _progress, null)?.TrySetResult();
        }
    }
}
