namespace PushEx.Pipeline;

internal sealed partial class PushPipeline
{
    private static readonly TimeSpan DrainPollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Waits until every push accepted so far has been broadcast, or <paramref name="timeout"/> has passed. The
    /// pipeline stays open meanwhile. Returns how many pushes were still pending when it gave up (0 when drained).
    /// </summary>
    public async Task<int> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        while (Pending > 0 && _timeProvider.GetElapsedTime(started) < timeout)
        {
            await Task.Delay(DrainPollInterval, _timeProvider, cancellationToken).ConfigureAwait(false);
        }

        return Pending;
    }
}
