namespace PushEx.LoadTest.Scenarios;

/// <summary>The <c>connect</c> and <c>storm</c> scenarios' parameters.</summary>
internal sealed record ConnectSettings
{
    public int Clients { get; init; } = 10_000;

    /// <summary>Arrivals per second over all workers; 0 for as fast as <see cref="Concurrency"/> allows.</summary>
    public double Rate { get; init; } = 1_500;

    /// <summary>Each client joins one of this many topics (the original's load test: 100).</summary>
    public int Topics { get; init; } = 100;

    /// <summary>Connect-and-join attempts in flight per worker.</summary>
    public int Concurrency { get; init; } = 200;

    /// <summary>How long the connections are held idle (heartbeating) once open.</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reconnections in flight per worker during the storm.</summary>
    public int StormConcurrency { get; init; } = 500;

    /// <summary>The bound on one connect-and-join, and on the whole storm.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>After the hold: pushes to every topic at once (one API call naming all topics, via the first node), one per second.</summary>
    public int PublishRounds { get; init; }

    public int? Workers { get; init; }
}
