namespace PushEx.Instrumentation;

/// <summary>What every instrumentation hook is told besides the push: when the event occurred.</summary>
/// <param name="UnixMsOccurredAt">The time of the event, in Unix milliseconds.</param>
public readonly record struct InstrumentationContext(long UnixMsOccurredAt);
