using PushEx.LoadTest.Compare;
using PushEx.LoadTest.Scenarios;

namespace PushEx.LoadTest.Soak;

/// <summary>
/// Reads the soaked server: through the bench server's <c>GET /gc</c> (a forced full GC, then the managed heap and
/// open connections) and, from /proc, its resident memory, threads, open file descriptors and CPU time. Needs no
/// tool in the server beyond those endpoints; a server without them is read from /proc only when its pid is given.
/// </summary>
internal sealed class ServerProbe(BenchTarget target, int? serverPid)
{
    private int[]? _pids;
    private double? _lastCpuMilliseconds;
    private long _lastCpuAt;

    public record Reading(int? Connections, long? ResidentBytes, long? ManagedBytes, int? Threads, int? OpenFiles, double? CpuPercent);

    public async Task<Reading> ReadAsync()
    {
        _pids ??= serverPid is { } pid ? [pid] : await target.ProcessIdsAsync().ConfigureAwait(false) ?? [];
        var memory = serverPid is null ? await target.CollectAsync().ConfigureAwait(false) : null;
        if (_pids.Length == 0)
        {
            return new Reading(null, null, null, null, null, null);
        }

        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var cpu = _pids.Sum(ProcessStats.CpuMilliseconds);
        double? cpuPercent = _lastCpuMilliseconds is { } last
            ? (cpu - last) / System.Diagnostics.Stopwatch.GetElapsedTime(_lastCpuAt, now).TotalMilliseconds * 100
            : null;
        _lastCpuMilliseconds = cpu;
        _lastCpuAt = now;
        return new Reading(
            memory?.Connections,
            _pids.Sum(ProcessStats.ResidentBytes),
            memory?.ManagedBytes,
            _pids.Sum(ProcessStats.Threads),
            _pids.Sum(ProcessStats.OpenFiles),
            cpuPercent);
    }
}
