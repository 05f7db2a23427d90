namespace PushEx.LoadTest.Soak;

/// <summary>
/// One interval of the soak. Server figures are null when the server is not a bench server (no <c>/gc</c>) and no
/// process id was given; managed heap is measured after a forced full GC, so it is the live heap, not garbage.
/// Rates and latencies cover the interval only.
/// </summary>
internal sealed record SoakSample
{
    public required double Minutes { get; init; }

    public int? ServerConnections { get; init; }

    public required int ClientsJoined { get; init; }

    public long? ServerResidentBytes { get; init; }

    public long? ServerManagedBytes { get; init; }

    public int? ServerThreads { get; init; }

    public int? ServerOpenFiles { get; init; }

    /// <summary>Server CPU over the interval, in % of one core.</summary>
    public double? ServerCpuPercent { get; init; }

    public required double PushesPerSecond { get; init; }

    public required long PushesFailed { get; init; }

    public required double DeliveriesPerSecond { get; init; }

    public double? LatencyP50Ms { get; init; }

    public double? LatencyP99Ms { get; init; }

    public double? LatencyMaxMs { get; init; }

    public required long Reconnects { get; init; }

    public required long ReconnectFailures { get; init; }

    public required long SideReplies { get; init; }

    public required long SideErrors { get; init; }

    /// <summary>Connections the server closed (churn's own resets not counted).</summary>
    public required long ServerDrops { get; init; }

    public required long LoadGeneratorResidentBytes { get; init; }
}
