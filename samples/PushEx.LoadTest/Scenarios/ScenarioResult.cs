using System.Globalization;
using System.Text.Json.Nodes;
using PushEx.LoadTest.Metrics;

namespace PushEx.LoadTest.Scenarios;

/// <summary>The figures of one scenario run, printed as a table and as one JSON object.</summary>
internal sealed class ScenarioResult(string scenario, string target)
{
    private readonly List<Metric> _metrics = [];
    private readonly List<string> _notes = [];

    public string Scenario { get; } = scenario;

    public string Target { get; } = target;

    public IReadOnlyList<Metric> Metrics => _metrics;

    public IReadOnlyList<string> Notes => _notes;

    public void Add(string key, string label, double? value, string unit = "", int decimals = 0) =>
        _metrics.Add(new Metric(key, label, value, unit, decimals));

    /// <summary>p50, p99, p99.9 and max of a latency histogram, in milliseconds.</summary>
    public void AddLatency(string key, string label, LatencyHistogram histogram, bool withTail = true)
    {
        Add($"{key}_p50_ms", $"{label} p50", histogram.Percentile(0.50) / 1000, "ms", 2);
        Add($"{key}_p99_ms", $"{label} p99", histogram.Percentile(0.99) / 1000, "ms", 2);
        if (withTail)
        {
            Add($"{key}_p999_ms", $"{label} p99.9", histogram.Percentile(0.999) / 1000, "ms", 2);
            Add($"{key}_max_ms", $"{label} max", histogram.Max() / 1000, "ms", 2);
        }
    }

    public void Note(string note) => _notes.Add(note);

    public double? Value(string key) => _metrics.FirstOrDefault(metric => metric.Key == key)?.Value;

    public void Print(TextWriter output)
    {
        output.WriteLine($"== {Scenario} against {Target}");
        var width = _metrics.Count == 0 ? 10 : _metrics.Max(metric => metric.Label.Length);
        foreach (var metric in _metrics)
        {
            output.WriteLine($"  {metric.Label.PadRight(width)}  {metric.Format()}");
        }

        foreach (var note in _notes)
        {
            output.WriteLine($"  note: {note}");
        }
    }

    public JsonObject ToJson()
    {
        var metrics = new JsonObject();
        foreach (var metric in _metrics)
        {
            metrics[metric.Key] = metric.Value is { } value && double.IsFinite(value) ? Math.Round(value, 4) : null;
        }

        return new JsonObject
        {
            ["scenario"] = Scenario,
            ["target"] = Target,
            ["at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["metrics"] = metrics,
            ["notes"] = new JsonArray([.. _notes.Select(note => (JsonNode?)JsonValue.Create(note))]),
        };
    }

    public string ToJsonString() => ToJson().ToJsonString(JsonOutput.Options);
}
