namespace PushEx.LoadTest.Soak;

/// <summary>
/// Whether one series stayed flat: the mean of its first window of samples after the warm-up against the mean of its
/// last window, and the least-squares slope over all samples after the warm-up. Flat when the change is within the
/// tolerance (a fraction of the first window's mean) or within the series' absolute slack (a few threads, a few MiB:
/// noise that no relative bound should fail on).
/// </summary>
internal sealed record SoakVerdict(string Series, string Unit, double FirstMean, double LastMean, double SlopePerHour, bool Flat)
{
    public double Change => LastMean - FirstMean;

    public double ChangePercent => FirstMean == 0 ? 0 : Change / FirstMean * 100;

    /// <summary>Null when there are fewer than two samples after the warm-up or the series has no values.</summary>
    public static SoakVerdict? Of(string series, string unit, IReadOnlyList<(double Minutes, double? Value)> points, int warmupSamples, int windowSamples, double tolerance, double slack)
    {
        var measured = points.Skip(warmupSamples).Where(point => point.Value is not null).Select(point => (point.Minutes, Value: point.Value!.Value)).ToList();
        if (measured.Count < 2)
        {
            return null;
        }

        var window = Math.Clamp(windowSamples, 1, measured.Count / 2);
        var first = measured.Take(window).Average(point => point.Value);
        var last = measured.TakeLast(window).Average(point => point.Value);
        var flat = Math.Abs(last - first) <= Math.Max(tolerance * Math.Abs(first), slack);
        return new SoakVerdict(series, unit, first, last, Slope(measured) * 60, flat);
    }

    // Least squares, in units per minute.
    private static double Slope(List<(double Minutes, double Value)> points)
    {
        var meanX = points.Average(point => point.Minutes);
        var meanY = points.Average(point => point.Value);
        var numerator = points.Sum(point => (point.Minutes - meanX) * (point.Value - meanY));
        var denominator = points.Sum(point => (point.Minutes - meanX) * (point.Minutes - meanX));
        return denominator == 0 ? 0 : numerator / denominator;
    }
}
