namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// The fuzz tests run alone, after the parallel tests: they load both cores for seconds, and their memory property
/// (the managed heap back near its baseline) reads the whole process's heap, which another test would disturb.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "Fuzz";
}
