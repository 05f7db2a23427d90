namespace PushEx.LoadTest.Workers;

/// <summary>A worker's answer to one <see cref="WorkerCommand"/>: counts, Unix-ms times and exported histograms.</summary>
internal sealed record WorkerReport
{
    public bool Ok { get; init; } = true;

    public string? Error { get; init; }

    public int Joined { get; init; }

    public int Failed { get; init; }

    public long Retries { get; init; }

    public long JoinErrors { get; init; }

    public long Disconnects { get; init; }

    public long Received { get; init; }

    public long Reconnects { get; init; }

    public long ReconnectFailures { get; init; }

    public long SideRequests { get; init; }

    public long SideReplies { get; init; }

    public long SideErrors { get; init; }

    public long LastReceivedUnixMicros { get; init; }

    public long StartedUnixMs { get; init; }

    public long FirstJoinedUnixMs { get; init; }

    public long LastJoinedUnixMs { get; init; }

    public long[]? ConnectLatency { get; init; }

    public long[]? JoinLatency { get; init; }

    public long[]? PushLatency { get; init; }

    /// <summary>The worker's own CPU time, to tell whether the load generator's core was the bottleneck.</summary>
    public double CpuMilliseconds { get; init; }

    public long WorkingSetBytes { get; init; }

    public string? FirstError { get; init; }
}
