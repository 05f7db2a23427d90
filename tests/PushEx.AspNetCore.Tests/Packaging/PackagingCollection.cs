namespace PushEx.AspNetCore.Tests.Packaging;

/// <summary>
/// The packaging round trip packs, restores and builds: minutes of both cores. It runs alone, after the parallel
/// tests, so it cannot slow down the timing-sensitive ones (idle timeouts, heartbeats).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackagingCollection
{
    public const string Name = "Packaging";
}
