namespace PushEx.LoadTest.Scenarios;

/// <summary>Server memory after a forced full GC, summed over the nodes.</summary>
internal sealed record MemorySample(long ResidentBytes, long ManagedBytes, int Connections);
