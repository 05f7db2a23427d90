using System.Diagnostics;
using System.Globalization;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// What one fuzz test did, for docs/fuzzing.md: written to the test's output, and appended to the file named by
/// <c>PUSHEX_FUZZ_REPORT</c> when set (the test runner shows a passing test's output only when asked).
/// </summary>
internal sealed record FuzzFigures(FuzzRun Run, int Cases, long Frames, TimeSpan Elapsed, long PeakHeapBytes)
{
    public void Report(string unit, string? notes = null)
    {
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{Run.TestClass}: seed {Run.Seed}, {Cases} cases, {Frames} {unit} in {Elapsed.TotalSeconds:F1} s ({Frames / Math.Max(Elapsed.TotalSeconds, 0.001):F0} {unit}/s), peak managed heap {PeakHeapBytes / (1024 * 1024)} MiB, peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB{(notes is null ? string.Empty : "; " + notes)}");
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (Environment.GetEnvironmentVariable("PUSHEX_FUZZ_REPORT") is { Length: > 0 } path)
        {
            File.AppendAllText(path, line + Environment.NewLine);
        }
    }
}
