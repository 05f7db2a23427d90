using System.Globalization;
using System.Text.Json.Nodes;
using PushEx.LoadTest.Scenarios;

namespace PushEx.LoadTest.Compare;

/// <summary>
/// <c>compare</c>: for each repetition and each server kind, starts fresh bench server processes pinned to one core,
/// runs connect+storm (memory per idle connection, connect rate, idle CPU, storm), the fan-outs and the per-user run,
/// stops them; then prints every figure's median side by side with the ratio PushEx/SignalR, and writes all runs as JSON.
/// Run the load generator pinned to the other core (tests/Baselines/compare.sh does).
/// </summary>
internal static class CompareCommand
{
    public static async Task<int> RunAsync(CompareSettings settings, TextWriter output)
    {
        Directory.CreateDirectory(settings.LogDirectory);
        var log = Console.Error;
        var runs = new List<(string Kind, int Repeat, ScenarioResult Result)>();
        for (var repeat = 1; repeat <= settings.Repeat; repeat++)
        {
            foreach (var kind in settings.Kinds)
            {
                log.WriteLine($"== run {repeat}/{settings.Repeat}: {kind}");
                foreach (var result in await RunKindAsync(kind, repeat, settings, log).ConfigureAwait(false))
                {
                    runs.Add((kind, repeat, result));
                }
            }
        }

        PrintTable(settings, runs, output);
        var json = ToJson(settings, runs);
        output.WriteLine(json.ToJsonString(JsonOutput.Options));
        if (settings.JsonPath is not null)
        {
            await File.WriteAllTextAsync(settings.JsonPath, json.ToJsonString(JsonOutput.Indented)).ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<List<ScenarioResult>> RunKindAsync(string kind, int repeat, CompareSettings settings, TextWriter log)
    {
        var dll = kind == "signalr" ? settings.SignalRServer : settings.PushExServer;
        var protocol = kind == "signalr" ? "signalr" : "v2";
        var servers = new List<ServerProcess>();
        var results = new List<ScenarioResult>();
        try
        {
            for (var node = 0; node < settings.Nodes; node++)
            {
                servers.Add(await ServerProcess.StartAsync(dll, settings.ServerCore, Path.Combine(settings.LogDirectory, $"{kind}-{repeat}-{node}.log")).ConfigureAwait(false));
            }

            using var all = new BenchTarget([.. servers.Select(server => server.Url)], protocol);
            using var first = new BenchTarget([servers[0].Url], protocol);

            // Warm-up, not recorded: every node has accepted, joined and pushed before anything is measured.
            await ConnectScenario.RunAsync(all, new ConnectSettings { Clients = 200 * settings.Nodes, Rate = 0, Hold = TimeSpan.Zero, Topics = 10 }, storm: false, TextWriter.Null).ConfigureAwait(false);
            await FanoutScenario.RunAsync(first, new FanoutSettings { Subscribers = 200, Rate = 20, Duration = TimeSpan.FromSeconds(1) }, TextWriter.Null).ConfigureAwait(false);
            await all.WaitForConnectionsAtMostAsync(0, TimeSpan.FromSeconds(30)).ConfigureAwait(false);

            var connect = await ConnectScenario.RunAsync(all, new ConnectSettings
            {
                Clients = settings.Clients,
                Rate = 0,
                Topics = 100,
                Hold = settings.Hold,
                StormConcurrency = settings.StormConcurrency,
            }, storm: true, log).ConfigureAwait(false);
            results.Add(Rename(connect, $"connect+storm: {settings.Clients} clients, {settings.Nodes} node(s)"));
            await WaitForCloseAsync(all, log).ConfigureAwait(false);

            foreach (var (subscribers, rate) in settings.Fanouts)
            {
                var fanout = await FanoutScenario.RunAsync(first, new FanoutSettings
                {
                    Subscribers = subscribers,
                    Rate = rate,
                    Duration = settings.FanoutDuration,
                }, log).ConfigureAwait(false);
                results.Add(Rename(fanout, string.Create(CultureInfo.InvariantCulture, $"fanout: {subscribers} subscribers of one topic, {rate} publishes/s")));
                await WaitForCloseAsync(first, log).ConfigureAwait(false);
            }

            if (settings.PerUser is var (users, userRate))
            {
                var perUser = await FanoutScenario.RunAsync(first, new FanoutSettings
                {
                    Subscribers = users,
                    PerUser = true,
                    Batch = settings.PerUserBatch,
                    Rate = userRate,
                    Duration = settings.FanoutDuration,
                }, log).ConfigureAwait(false);
                results.Add(Rename(perUser, string.Create(CultureInfo.InvariantCulture, $"fanout per user: {users} topics of one subscriber, {userRate} publishes/s of {settings.PerUserBatch} topics")));
            }
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }

        return results;
    }

    private static async Task WaitForCloseAsync(BenchTarget target, TextWriter log)
    {
        var open = await target.WaitForConnectionsAtMostAsync(0, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        if (open > 0)
        {
            log.WriteLine($"warning: {open} connection(s) still open on the server after the clients closed");
        }
    }

    private static ScenarioResult Rename(ScenarioResult result, string name)
    {
        var renamed = new ScenarioResult(name, result.Target);
        foreach (var metric in result.Metrics)
        {
            renamed.Add(metric.Key, metric.Label, metric.Value, metric.Unit, metric.Decimals);
        }

        foreach (var note in result.Notes)
        {
            renamed.Note(note);
        }

        return renamed;
    }

    private static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.Where(value => value is { } v && double.IsFinite(v)).Select(value => value!.Value).Order().ToList();
        if (sorted.Count == 0)
        {
            return null;
        }

        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static void PrintTable(CompareSettings settings, List<(string Kind, int Repeat, ScenarioResult Result)> runs, TextWriter output)
    {
        var kinds = settings.Kinds;
        output.WriteLine();
        output.WriteLine($"Medians of {settings.Repeat} run(s); servers pinned to core {settings.ServerCore?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}; ratio = {kinds[0]}/{kinds[^1]}.");
        foreach (var scenario in runs.Select(run => run.Result.Scenario).Distinct())
        {
            var template = runs.First(run => run.Result.Scenario == scenario).Result;
            output.WriteLine();
            output.WriteLine($"== {scenario}");
            var labelWidth = template.Metrics.Max(metric => metric.Label.Length);
            output.WriteLine($"  {"".PadRight(labelWidth)}  {string.Join("  ", kinds.Select(kind => kind.PadLeft(16)))}  {"ratio",8}");
            foreach (var metric in template.Metrics)
            {
                var medians = kinds.Select(kind => Median(runs.Where(run => run.Kind == kind && run.Result.Scenario == scenario).Select(run => run.Result.Value(metric.Key)))).ToList();
                var cells = medians.Select(value => (metric with { Value = value }).Format().PadLeft(16));
                var ratio = medians.Count >= 2 && medians[0] is { } a && medians[^1] is { } b && b != 0 ? (a / b).ToString("N2", CultureInfo.InvariantCulture) : "-";
                output.WriteLine($"  {metric.Label.PadRight(labelWidth)}  {string.Join("  ", cells)}  {ratio,8}");
            }

            foreach (var (kind, repeat, result) in runs.Where(run => run.Result.Scenario == scenario))
            {
                foreach (var note in result.Notes)
                {
                    output.WriteLine($"  note ({kind}, run {repeat}): {note}");
                }
            }
        }
    }

    private static JsonObject ToJson(CompareSettings settings, List<(string Kind, int Repeat, ScenarioResult Result)> runs)
    {
        var medians = new JsonObject();
        foreach (var scenario in runs.Select(run => run.Result.Scenario).Distinct())
        {
            var perKind = new JsonObject();
            foreach (var kind in settings.Kinds)
            {
                var mine = runs.Where(run => run.Kind == kind && run.Result.Scenario == scenario).ToList();
                var metrics = new JsonObject();
                foreach (var key in mine.SelectMany(run => run.Result.Metrics.Select(metric => metric.Key)).Distinct())
                {
                    metrics[key] = Median(mine.Select(run => run.Result.Value(key))) is { } value ? Math.Round(value, 4) : null;
                }

                perKind[kind] = metrics;
            }

            medians[scenario] = perKind;
        }

        return new JsonObject
        {
            ["machine"] = $"{Environment.ProcessorCount} logical CPU(s) visible to the load generator, {Environment.OSVersion}, .NET {Environment.Version}",
            ["repeat"] = settings.Repeat,
            ["serverCore"] = settings.ServerCore,
            ["medians"] = medians,
            ["runs"] = new JsonArray([.. runs.Select(run =>
            {
                var node = run.Result.ToJson();
                node["kind"] = run.Kind;
                node["repeat"] = run.Repeat;
                return (JsonNode?)node;
            })]),
        };
    }
}
