using PushEx.LoadTest.Cli;
using PushEx.LoadTest.Compare;
using PushEx.LoadTest.Roll;
using PushEx.LoadTest.Scenarios;
using PushEx.LoadTest.Soak;
using PushEx.LoadTest.Workers;

// The load generator (the original's examples/load-test). `dotnet run -c Release --project samples/PushEx.LoadTest -- help`
// The coordinator stamps pushes as it sends them: a starved thread pool would show up as latency.
ThreadPool.SetMinThreads(8, 8);
try
{
    var line = CommandLine.Parse(args);
    switch (line.Command)
    {
        case "worker":
            return await WorkerLoop.RunAsync();
        case "connect":
        case "storm":
            return await RunConnectAsync(line, storm: line.Command == "storm");
        case "fanout":
            return await RunFanoutAsync(line);
        case "cluster":
            return await ClusterCommand.RunAsync(line, Console.Out);
        case "shards":
            return await ShardsCommand.RunAsync(line, Console.Out);
        case "roll":
            return await RollCommand.RunAsync(line, Console.Out, Console.Error);
        case "soak":
            return await SoakCommand.RunAsync(line, Console.Out, Console.Error);
        case "compare":
            return await CompareCommand.RunAsync(CompareSettings.From(line), Console.Out);
        default:
            Console.WriteLine(Usage.Text);
            return line.Command is "help" or "--help" or "-h" ? 0 : 2;
    }
}
catch (UsageException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine("Run with 'help' for the commands and options.");
    return 2;
}

static async Task<int> RunConnectAsync(CommandLine line, bool storm)
{
    using var target = BenchTarget.Parse(line.String("url", "http://127.0.0.1:4000"), line.String("protocol", "v2"));
    var settings = new ConnectSettings
    {
        Clients = line.Int("clients", 10_000),
        Rate = line.Double("rate", storm ? 0 : 1_500),
        Topics = line.Int("topics", 100),
        Concurrency = line.Int("concurrency", 200),
        Hold = line.Seconds("hold", storm ? 5 : 30),
        StormConcurrency = line.Int("storm-concurrency", 500),
        Timeout = line.Seconds("timeout", 60),
        Workers = line.OptionalString("workers") is null ? null : line.Int("workers", 1),
    };
    var json = line.OptionalString("json");
    line.EnsureAllRead();
    var result = await ConnectScenario.RunAsync(target, settings, storm, Console.Error);
    return Emit(result, json);
}

static async Task<int> RunFanoutAsync(CommandLine line)
{
    using var target = BenchTarget.Parse(line.String("url", "http://127.0.0.1:4000"), line.String("protocol", "v2"));
    var settings = new FanoutSettings
    {
        Subscribers = line.Int("subscribers", 1_000),
        PerUser = line.Flag("per-user"),
        Rate = line.Double("rate", 10),
        Duration = line.Seconds("seconds", 10),
        Batch = line.Int("batch", 100),
        PadBytes = line.Int("pad", 16),
        MaxInFlight = line.Int("in-flight", 8),
        Workers = line.OptionalString("workers") is null ? null : line.Int("workers", 1),
        PublishUrl = line.OptionalString("publish-url") is { } publishUrl ? new Uri(publishUrl) : null,
    };
    var json = line.OptionalString("json");
    line.EnsureAllRead();
    var result = await FanoutScenario.RunAsync(target, settings, Console.Error);
    return Emit(result, json);
}

static int Emit(ScenarioResult result, string? jsonPath)
{
    result.Print(Console.Out);
    var json = result.ToJsonString();
    Console.Out.WriteLine(json);
    if (jsonPath is not null)
    {
        File.WriteAllText(jsonPath, json + Environment.NewLine);
    }

    return 0;
}
