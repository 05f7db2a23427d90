namespace PushEx.LoadTest.Scenarios;

/// <summary>What the publisher sent: accepted requests, the channels they named, refusals, and how far it fell behind its schedule.</summary>
internal sealed record PublishResult(
    long Accepted,
    long AcceptedChannels,
    long Failed,
    long StartedUnixMicros,
    TimeSpan Elapsed,
    TimeSpan MaxLag,
    string? FirstFailure);
