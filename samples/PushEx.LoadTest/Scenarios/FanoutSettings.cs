namespace PushEx.LoadTest.Scenarios;

/// <summary>The <c>fanout</c> scenario's parameters.</summary>
internal sealed record FanoutSettings
{
    public int Subscribers { get; init; } = 1_000;

    /// <summary>False: every subscriber joins one topic. True: each joins its own (the per-user case).</summary>
    public bool PerUser { get; init; }

    /// <summary>Publish requests per second.</summary>
    public double Rate { get; init; } = 10;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>In the per-user case, the channels named by one publish request.</summary>
    public int Batch { get; init; } = 100;

    /// <summary>Padding added to the data, so the payload size can be varied.</summary>
    public int PadBytes { get; init; } = 16;

    public int MaxInFlight { get; init; } = 8;

    /// <summary>How long to wait for stragglers once publishing is done.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(30);

    public int? Workers { get; init; }

    /// <summary>
    /// The node the publisher posts to; by default the subscribers' node. Another node of the same cluster measures
    /// a delivery that crosses the backplane.
    /// </summary>
    public Uri? PublishUrl { get; init; }

    /// <summary>Called as the measured publishing starts, and once its deliveries are in (a caller's own figures).</summary>
    public Action? PublishWindowStarting { get; init; }

    /// <inheritdoc cref="PublishWindowStarting"/>
    public Action? PublishWindowEnded { get; init; }
}
