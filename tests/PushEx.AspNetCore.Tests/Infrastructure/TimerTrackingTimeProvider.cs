namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// The system clock, recording every timer made from it and whether it was disposed; a test may also run a timer's
/// callback itself, as a timer does whose callback was already on its way when it was disposed.
/// </summary>
public sealed class TimerTrackingTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<TrackedTimer> _timers = [];

    /// <summary>The timers made so far, with the due time each was created with.</summary>
    public IReadOnlyList<TrackedTimer> Timers
    {
        get
        {
            lock (_lock)
            {
                return [.. _timers];
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new TrackedTimer(System.CreateTimer(callback, state, dueTime, period), dueTime, () => callback(state));
        lock (_lock)
        {
            _timers.Add(timer);
        }

        return timer;
    }

    public sealed class TrackedTimer(ITimer inner, TimeSpan dueTime, Action fire) : ITimer
    {
        private volatile bool _disposed;

        public TimeSpan DueTime { get; } = dueTime;

        public bool IsDisposed => _disposed;

        /// <summary>Runs the callback now, on this thread, disposed or not.</summary>
        public void Fire() => fire();

        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            _disposed = true;
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
