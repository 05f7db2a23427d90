using System.Globalization;
using PushEx.LoadTest.Cli;

namespace PushEx.LoadTest.Compare;

/// <summary>The <c>compare</c> command's parameters.</summary>
internal sealed record CompareSettings
{
    public string[] Kinds { get; init; } = ["pushex", "signalr"];

    /// <summary>Idle connections for the memory and storm figures, spread over <see cref="Nodes"/> server processes.</summary>
    public int Clients { get; init; } = 20_000;

    /// <summary>A server process holds at most ~19 000 sockets here (20 000 open files), so 20 000 clients need two.</summary>
    public int Nodes { get; init; } = 2;

    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(10);

    public int StormConcurrency { get; init; } = 500;

    /// <summary>Fan-out runs as (subscribers of one topic, publishes per second).</summary>
    public (int Subscribers, double Rate)[] Fanouts { get; init; } = [(1_000, 20), (10_000, 1), (10_000, 10)];

    /// <summary>The per-user run as (users, publishes per second of <see cref="PerUserBatch"/> users each); null to skip.</summary>
    public (int Subscribers, double Rate)? PerUser { get; init; } = (10_000, 20);

    public int PerUserBatch { get; init; } = 100;

    public TimeSpan FanoutDuration { get; init; } = TimeSpan.FromSeconds(10);

    public int Repeat { get; init; } = 3;

    /// <summary>The core the servers are pinned to (the load generator should be pinned to the other); null to not pin.</summary>
    public int? ServerCore { get; init; } = 0;

    public required string PushExServer { get; init; }

    public required string SignalRServer { get; init; }

    public string? JsonPath { get; init; }

    public required string LogDirectory { get; init; }

    public static CompareSettings From(CommandLine line)
    {
        var root = RepositoryRoot();
        var settings = new CompareSettings
        {
            Kinds = line.Strings("kinds", ["pushex", "signalr"]),
            Clients = line.Int("clients", 20_000),
            Nodes = line.Int("nodes", 2),
            Hold = line.Seconds("hold", 10),
            StormConcurrency = line.Int("storm-concurrency", 500),
            Fanouts = [.. line.Strings("fanout", ["1000:20", "10000:1", "10000:10"]).Select(ParsePair)],
            PerUser = line.String("per-user", "10000:20") is var perUser && perUser != "none" ? ParsePair(perUser) : null,
            PerUserBatch = line.Int("batch", 100),
            FanoutDuration = line.Seconds("fanout-seconds", 10),
            Repeat = line.Int("repeat", 3),
            ServerCore = line.String("server-core", "0") is var core && core != "none" ? int.Parse(core, CultureInfo.InvariantCulture) : null,
            PushExServer = line.String("pushex-server", Path.Combine(root, "tests/Baselines/PushEx.BenchServer/bin/Release/net10.0/PushEx.BenchServer.dll")),
            SignalRServer = line.String("signalr-server", Path.Combine(root, "tests/Baselines/SignalR.BenchServer/bin/Release/net10.0/SignalR.BenchServer.dll")),
            JsonPath = line.OptionalString("json"),
            LogDirectory = line.String("logs", Path.Combine(Path.GetTempPath(), "pushex-compare")),
        };
        line.EnsureAllRead();
        return settings;
    }

    private static (int, double) ParsePair(string value)
    {
        var parts = value.Split(':');
        if (parts.Length != 2)
        {
            throw new UsageException($"Expected SUBSCRIBERS:RATE, got '{value}'.");
        }

        return (int.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    // The directory holding PushEx.sln, found from where this program runs (bin/Release/net10.0 inside the repo).
    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PushEx.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
