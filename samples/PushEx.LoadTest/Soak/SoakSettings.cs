using System.Globalization;
using PushEx.LoadTest.Cli;
using PushEx.LoadTest.Compare;

namespace PushEx.LoadTest.Soak;

/// <summary>The <c>soak</c> command's parameters.</summary>
internal sealed record SoakSettings
{
    /// <summary>The server to soak; null starts the PushEx bench server (<see cref="ServerDll"/>) for the run.</summary>
    public Uri? Url { get; init; }

    public string Protocol { get; init; } = "v2";

    public int Clients { get; init; } = 15_000;

    /// <summary>Worker processes holding the clients; null for one per 15 000 clients.</summary>
    public int? Workers { get; init; }

    /// <summary>How fast the clients first connect.</summary>
    public double ConnectRate { get; init; } = 1_000;

    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>How often the server is sampled and a line printed.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Samples this early are left out of the flatness verdict (the JIT, pools and heap still settling).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The verdict compares the mean of the first and of the last window of samples after the warm-up.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Fraction of the clients dropped (TCP reset) and reconnected per minute, spread evenly over the minute.</summary>
    public double Churn { get; init; } = 0.03;

    /// <summary>Fraction of the clients per minute that join a side topic, or leave the one they joined earlier.</summary>
    public double SideChanges { get; init; } = 0.05;

    public int SideTopics { get; init; } = 5_000;

    /// <summary>Pushes per second through <c>POST /api/push</c>, each to one topic, the topics in turn.</summary>
    public double Rate { get; init; } = 300;

    /// <summary>Client i joins <c>room:(i mod Topics)</c>.</summary>
    public int Topics { get; init; } = 1_000;

    public int PadBytes { get; init; } = 64;

    public int MaxInFlight { get; init; } = 16;

    /// <summary>The push API's Authorization header (the bench server needs none).</summary>
    public string? Authorization { get; init; }

    /// <summary>A series is flat when its last window's mean is within this fraction of its first window's (or within its absolute slack).</summary>
    public double Tolerance { get; init; } = 0.10;

    public string ServerDll { get; init; } = "";

    public int? ServerCore { get; init; }

    /// <summary>With <see cref="Url"/> naming a server that is not a bench server: its process id, for RSS, threads and handles from /proc.</summary>
    public int? ServerPid { get; init; }

    public string LogDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "pushex-soak");

    public string? JsonPath { get; init; }

    public static SoakSettings From(CommandLine line)
    {
        var settings = new SoakSettings
        {
            Url = line.OptionalString("url") is { } url ? new Uri(url) : null,
            Protocol = line.String("protocol", "v2"),
            Clients = line.Int("clients", 15_000),
            Workers = line.OptionalString("workers") is null ? null : line.Int("workers", 1),
            ConnectRate = line.Double("connect-rate", 1_000),
            Duration = line.Duration("duration", TimeSpan.FromMinutes(60)),
            Interval = line.Duration("interval", TimeSpan.FromMinutes(1)),
            Warmup = line.Duration("warmup", TimeSpan.FromMinutes(5)),
            Window = line.Duration("window", TimeSpan.FromMinutes(10)),
            Churn = line.Double("churn", 0.03),
            SideChanges = line.Double("side-changes", 0.05),
            SideTopics = line.Int("side-topics", 5_000),
            Rate = line.Double("rate", 300),
            Topics = line.Int("topics", 1_000),
            PadBytes = line.Int("pad", 64),
            MaxInFlight = line.Int("in-flight", 16),
            Authorization = line.OptionalString("api-key") is { } key ? "Bearer " + key : null,
            Tolerance = line.Double("tolerance", 0.10),
            ServerDll = line.String("pushex-server", Path.Combine(CompareSettings.RepositoryRoot(), "tests/Baselines/PushEx.BenchServer/bin/Release/net10.0/PushEx.BenchServer.dll")),
            ServerCore = line.String("server-core", "none") is var core && core != "none" ? int.Parse(core, CultureInfo.InvariantCulture) : null,
            ServerPid = line.OptionalString("server-pid") is null ? null : line.Int("server-pid", 0),
            LogDirectory = line.String("logs", Path.Combine(Path.GetTempPath(), "pushex-soak")),
            JsonPath = line.OptionalString("json"),
        };
        line.EnsureAllRead();
        if (settings.Clients < 1 || settings.Topics < 1 || settings.Rate <= 0 || settings.Interval <= TimeSpan.Zero || settings.Duration < settings.Interval)
        {
            throw new UsageException("soak needs --clients ≥ 1, --topics ≥ 1, --rate > 0 and --duration ≥ --interval > 0.");
        }

        return settings;
    }
}
