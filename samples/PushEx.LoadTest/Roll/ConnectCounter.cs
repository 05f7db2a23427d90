using System.Diagnostics;

namespace PushEx.LoadTest.Roll;

/// <summary>Sockets opened per second of the run, so the peak reconnect rate the clients put on the cluster is known.</summary>
internal sealed class ConnectCounter(TimeSpan longest)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly int[] _perSecond = new int[(int)Math.Ceiling(longest.TotalSeconds) + 1];

    public void Record()
    {
        var second = (int)Stopwatch.GetElapsedTime(_start).TotalSeconds;
        Interlocked.Increment(ref _perSecond[Math.Min(second, _perSecond.Length - 1)]);
    }

    /// <summary>The most sockets opened in one second, counting from <paramref name="from"/> (a Stopwatch timestamp) on.</summary>
    public int Peak(long from)
    {
        var first = Math.Max(0, (int)Stopwatch.GetElapsedTime(_start, from).TotalSeconds);
        var peak = 0;
        for (var second = first; second < _perSecond.Length; second++)
        {
            peak = Math.Max(peak, Volatile.Read(ref _perSecond[second]));
        }

        return peak;
    }
}
