using System.Globalization;
using System.Text.Json.Nodes;
using PushEx.LoadTest.Scenarios;

namespace PushEx.LoadTest.Soak;

/// <summary>The soak's samples, the flatness verdicts drawn from them, and its totals; printed as lines and as JSON.</summary>
internal sealed class SoakResult(SoakSettings settings, string target)
{
    public const string Header =
        "   min  conns joined  rss MiB heap MiB    fds thr  cpu%  push/s deliv/s  p50 ms  p99 ms  max ms reconn side drops";

    private const string LatencySeries = "latency_p99_ms";

    private readonly List<SoakSample> _samples = [];
    private readonly List<SoakVerdict> _verdicts = [];
    private readonly List<string> _notes = [];

    public SoakSettings Settings { get; } = settings;

    public string Target { get; } = target;

    public int JoinedAtStart { get; set; }

    public double ConnectSeconds { get; set; }

    public int JoinedAtEnd { get; set; }

    public long PushesAccepted { get; set; }

    public long PushesFailed { get; set; }

    public long Deliveries { get; set; }

    public long Reconnects { get; set; }

    public long ReconnectFailures { get; set; }

    public long SideReplies { get; set; }

    public long SideErrors { get; set; }

    public long ServerDrops { get; set; }

    public IReadOnlyList<SoakSample> Samples => _samples;

    public IReadOnlyList<SoakVerdict> Verdicts => _verdicts;

    public IReadOnlyList<string> Notes => _notes;

    /// <summary>True when every memory and handle series that was measured is flat (latency is reported, not judged).</summary>
    public bool? Flat => _verdicts.Any(verdict => verdict.Series != LatencySeries)
        ? _verdicts.Where(verdict => verdict.Series != LatencySeries).All(verdict => verdict.Flat)
        : null;

    public void Add(SoakSample sample) => _samples.Add(sample);

    public void Note(string note) => _notes.Add(note);

    public static string Line(SoakSample sample) => string.Create(
        CultureInfo.InvariantCulture,
        $"{sample.Minutes,6:F1} {Num(sample.ServerConnections),6} {sample.ClientsJoined,6} {Mib(sample.ServerResidentBytes),8} {Mib(sample.ServerManagedBytes),8} {Num(sample.ServerOpenFiles),6} {Num(sample.ServerThreads),3} {Fixed(sample.ServerCpuPercent, 0),5} {sample.PushesPerSecond,7:F0} {sample.DeliveriesPerSecond,7:F0} {Fixed(sample.LatencyP50Ms, 1),7} {Fixed(sample.LatencyP99Ms, 1),7} {Fixed(sample.LatencyMaxMs, 1),7} {sample.Reconnects,6} {sample.SideReplies,4} {sample.ServerDrops,5}");

    /// <summary>Judges each series; <paramref name="warmupSamples"/> are left out, windows of <paramref name="windowSamples"/> compared.</summary>
    public void Judge(int warmupSamples, int windowSamples)
    {
        _verdicts.Clear();
        Judge("server_rss_mib", "MiB", sample => sample.ServerResidentBytes / 1048576.0, slack: 16);
        Judge("server_heap_mib", "MiB", sample => sample.ServerManagedBytes / 1048576.0, slack: 8);
        Judge("server_open_files", "", sample => sample.ServerOpenFiles, slack: Math.Max(20, Settings.Clients * 0.01));
        Judge("server_threads", "", sample => sample.ServerThreads, slack: 4);
        Judge(LatencySeries, "ms", sample => sample.LatencyP99Ms, slack: 5);

        void Judge(string series, string unit, Func<SoakSample, double?> value, double slack)
        {
            var points = _samples.Select(sample => (sample.Minutes, value(sample))).ToList();
            if (SoakVerdict.Of(series, unit, points, warmupSamples, windowSamples, Settings.Tolerance, slack) is { } verdict)
            {
                _verdicts.Add(verdict);
            }
        }
    }

    public void PrintSummary(TextWriter output)
    {
        output.WriteLine($"== soak against {Target}: {JoinedAtStart} joined in {ConnectSeconds:F1} s, {JoinedAtEnd} joined at the end");
        output.WriteLine($"  pushes accepted {PushesAccepted}, failed {PushesFailed}; deliveries {Deliveries}; reconnects {Reconnects} (failed {ReconnectFailures}); side joins/leaves {SideReplies} (errors {SideErrors}); dropped by the server {ServerDrops}");
        foreach (var verdict in _verdicts)
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {verdict.Series,-18} first {verdict.FirstMean,10:F1}  last {verdict.LastMean,10:F1}  change {verdict.ChangePercent,6:F1} %  slope {verdict.SlopePerHour,8:F2}/h  {(verdict.Flat ? "flat" : verdict.Change > 0 ? "NOT FLAT (rose)" : "NOT FLAT (fell)")}"));
        }

        output.WriteLine($"  verdict: {(Flat switch { true => "flat", false => "not flat", null => "no server figures" })}");
        foreach (var note in _notes)
        {
            output.WriteLine($"  note: {note}");
        }
    }

    public JsonObject ToJson() => new()
    {
        ["scenario"] = "soak",
        ["target"] = Target,
        ["at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        ["settings"] = new JsonObject
        {
            ["clients"] = Settings.Clients,
            ["duration_s"] = Settings.Duration.TotalSeconds,
            ["interval_s"] = Settings.Interval.TotalSeconds,
            ["warmup_s"] = Settings.Warmup.TotalSeconds,
            ["window_s"] = Settings.Window.TotalSeconds,
            ["churn_per_minute"] = Settings.Churn,
            ["side_changes_per_minute"] = Settings.SideChanges,
            ["push_rate"] = Settings.Rate,
            ["topics"] = Settings.Topics,
            ["tolerance"] = Settings.Tolerance,
        },
        ["joined_at_start"] = JoinedAtStart,
        ["connect_seconds"] = Math.Round(ConnectSeconds, 2),
        ["joined_at_end"] = JoinedAtEnd,
        ["pushes_accepted"] = PushesAccepted,
        ["pushes_failed"] = PushesFailed,
        ["deliveries"] = Deliveries,
        ["reconnects"] = Reconnects,
        ["reconnect_failures"] = ReconnectFailures,
        ["side_replies"] = SideReplies,
        ["side_errors"] = SideErrors,
        ["server_drops"] = ServerDrops,
        ["flat"] = Flat,
        ["verdicts"] = new JsonArray([.. _verdicts.Select(verdict => (JsonNode?)new JsonObject
        {
            ["series"] = verdict.Series,
            ["first_mean"] = Math.Round(verdict.FirstMean, 2),
            ["last_mean"] = Math.Round(verdict.LastMean, 2),
            ["change_percent"] = Math.Round(verdict.ChangePercent, 2),
            ["slope_per_hour"] = Math.Round(verdict.SlopePerHour, 3),
            ["flat"] = verdict.Flat,
        })]),
        ["samples"] = new JsonArray([.. _samples.Select(sample => (JsonNode?)new JsonObject
        {
            ["minutes"] = Math.Round(sample.Minutes, 2),
            ["server_connections"] = sample.ServerConnections,
            ["clients_joined"] = sample.ClientsJoined,
            ["server_rss_bytes"] = sample.ServerResidentBytes,
            ["server_heap_bytes"] = sample.ServerManagedBytes,
            ["server_open_files"] = sample.ServerOpenFiles,
            ["server_threads"] = sample.ServerThreads,
            ["server_cpu_percent"] = Round(sample.ServerCpuPercent),
            ["pushes_per_s"] = Math.Round(sample.PushesPerSecond, 1),
            ["pushes_failed"] = sample.PushesFailed,
            ["deliveries_per_s"] = Math.Round(sample.DeliveriesPerSecond, 1),
            ["latency_p50_ms"] = Round(sample.LatencyP50Ms),
            ["latency_p99_ms"] = Round(sample.LatencyP99Ms),
            ["latency_max_ms"] = Round(sample.LatencyMaxMs),
            ["reconnects"] = sample.Reconnects,
            ["reconnect_failures"] = sample.ReconnectFailures,
            ["side_replies"] = sample.SideReplies,
            ["side_errors"] = sample.SideErrors,
            ["server_drops"] = sample.ServerDrops,
            ["loadgen_rss_bytes"] = sample.LoadGeneratorResidentBytes,
        })]),
        ["notes"] = new JsonArray([.. _notes.Select(note => (JsonNode?)JsonValue.Create(note))]),
    };

    public string ToJsonString() => ToJson().ToJsonString(JsonOutput.Options);

    private static double? Round(double? value) => value is { } v && double.IsFinite(v) ? Math.Round(v, 2) : null;

    private static string Num(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Mib(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) : "-";

    private static string Fixed(double? value, int decimals) => value is { } v && double.IsFinite(v) ? v.ToString("F" + decimals, CultureInfo.InvariantCulture) : "-";
}
