using PushEx.LoadTest.Metrics;

namespace PushEx.LoadTest.Workers;

/// <summary>The merged outcome of opening (or, in a storm, reopening) every worker's clients.</summary>
internal sealed record OpenResult(
    int Joined,
    int Failed,
    long Retries,
    long JoinErrors,
    long StartedUnixMs,
    long FirstJoinedUnixMs,
    long LastJoinedUnixMs,
    LatencyHistogram ConnectLatency,
    LatencyHistogram JoinLatency,
    double WorkerCpuMilliseconds,
    long WorkerWorkingSetBytes,
    string? FirstError)
{
    /// <summary>From the start (or the storm's drop) until the last client had joined.</summary>
    public double Seconds => LastJoinedUnixMs > 0 ? Math.Max(0.001, (LastJoinedUnixMs - StartedUnixMs) / 1000.0) : double.NaN;

    /// <summary>Connect-and-joins completed per second over <see cref="Seconds"/>.</summary>
    public double JoinsPerSecond => Joined / Seconds;

    public static OpenResult From(WorkerReport[] reports, long? stormStartedUnixMs)
    {
        var joinedTimes = reports.Where(report => report.LastJoinedUnixMs > 0).ToList();
        return new OpenResult(
            reports.Sum(report => report.Joined),
            reports.Sum(report => report.Failed),
            reports.Sum(report => report.Retries),
            reports.Sum(report => report.JoinErrors),
            stormStartedUnixMs ?? reports.Min(report => report.StartedUnixMs),
            joinedTimes.Count > 0 ? joinedTimes.Min(report => report.FirstJoinedUnixMs) : 0,
            joinedTimes.Count > 0 ? joinedTimes.Max(report => report.LastJoinedUnixMs) : 0,
            LatencyHistogram.Merge(reports.Select(report => report.ConnectLatency)),
            LatencyHistogram.Merge(reports.Select(report => report.JoinLatency)),
            reports.Sum(report => report.CpuMilliseconds),
            reports.Sum(report => report.WorkingSetBytes),
            reports.Select(report => report.FirstError).FirstOrDefault(error => error is not null));
    }
}
