using System.Globalization;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// One fuzz run's seed and size. CI runs a short seeded pass; the environment makes it a long run or replays one case:
/// <c>PUSHEX_FUZZ_SEED</c> (default <see cref="DefaultSeed"/>), <c>PUSHEX_FUZZ_ITERATIONS</c> (cases per test),
/// <c>PUSHEX_FUZZ_CASE</c> (run only that case). Every case draws from its own <see cref="Random"/>, seeded from the
/// run's seed and the case's index alone, so a case generates the same bytes whatever ran before it or beside it.
/// </summary>
internal sealed class FuzzRun
{
    public const int DefaultSeed = 20261202;

    private FuzzRun(string testClass, int seed, int cases, int? onlyCase, bool isLongRun)
    {
        TestClass = testClass;
        Seed = seed;
        Cases = cases;
        OnlyCase = onlyCase;
        IsLongRun = isLongRun;
    }

    public string TestClass { get; }

    public int Seed { get; }

    public int Cases { get; }

    public int? OnlyCase { get; }

    /// <summary>True when <c>PUSHEX_FUZZ_ITERATIONS</c> set the size (the figures are then worth printing).</summary>
    public bool IsLongRun { get; }

    public IEnumerable<int> CaseIndexes => OnlyCase is { } only ? [only] : Enumerable.Range(0, Cases);

    public static FuzzRun FromEnvironment(string testClass, int shortPassCases)
    {
        var iterations = ReadInt("PUSHEX_FUZZ_ITERATIONS");
        return new FuzzRun(testClass, ReadInt("PUSHEX_FUZZ_SEED") ?? DefaultSeed, iterations ?? shortPassCases, ReadInt("PUSHEX_FUZZ_CASE"), iterations is not null);
    }

    /// <summary>The case's own generator: the same seed and index always give the same bytes.</summary>
    public Random RandomFor(int caseIndex) => new(unchecked((Seed * 1_000_003) + caseIndex));

    /// <summary>What a failure says, so it can be replayed.</summary>
    public string Describe(int? caseIndex) =>
        caseIndex is { } index
            ? $"seed {Seed}, case {index}. Replay this case alone: PUSHEX_FUZZ_SEED={Seed} PUSHEX_FUZZ_CASE={index} {Command}"
            : $"seed {Seed}, {Cases} cases. Replay: PUSHEX_FUZZ_SEED={Seed} PUSHEX_FUZZ_ITERATIONS={Cases} {Command}";

    private string Command =>
        $"dotnet test --project tests/PushEx.AspNetCore.Tests/PushEx.AspNetCore.Tests.csproj -- --filter-class '*{TestClass}'";

    private static int? ReadInt(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text
            ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : null;
}
