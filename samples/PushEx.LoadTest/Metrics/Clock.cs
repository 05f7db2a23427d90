namespace PushEx.LoadTest.Metrics;

/// <summary>
/// Wall-clock microseconds since the Unix epoch. The publisher stamps pushes with it in one process and clients
/// read it in others, so it must be a clock every process on the machine shares (CLOCK_REALTIME), not a stopwatch.
/// </summary>
internal static class Clock
{
    public static long UnixMicros() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    public static long UnixMillis() => UnixMicros() / 1000;
}
