using System.Globalization;
using PushEx.LoadTest.Cli;
using PushEx.LoadTest.Scenarios;

namespace PushEx.LoadTest.Compare;

/// <summary>
/// <c>cluster</c>: the 100 000-connection case. One process here may hold at most 20 000 files, so the connections
/// are spread over several PushEx bench server nodes joined by a Redis backplane (a throw-away <c>redis-server</c>),
/// all pinned to one core. Measures memory per idle connection over all nodes, holds through heartbeats and the idle
/// timeout, pushes to every topic through one node (so each push crosses the backplane to every node), then
/// optionally storms.
/// </summary>
internal static class ClusterCommand
{
    public static async Task<int> RunAsync(CommandLine line, TextWriter output)
    {
        var nodes = line.Int("nodes", 6);
        var settings = new ConnectSettings
        {
            Clients = line.Int("clients", 100_000),
            Rate = line.Double("rate", 0),
            Topics = line.Int("topics", 100),
            Concurrency = line.Int("concurrency", 200),
            Hold = line.Seconds("hold", 60),
            StormConcurrency = line.Int("storm-concurrency", 500),
            Timeout = line.Seconds("timeout", 120),
            PublishRounds = line.Int("rounds", 5),
        };
        var storm = line.Flag("storm");
        var core = line.String("server-core", "0") is var value && value != "none" ? int.Parse(value, CultureInfo.InvariantCulture) : (int?)null;
        var redisExecutable = line.String("redis-server", "redis-server");
        var serverDll = line.String("pushex-server", Path.Combine(CompareSettings.RepositoryRoot(), "tests/Baselines/PushEx.BenchServer/bin/Release/net10.0/PushEx.BenchServer.dll"));
        var logs = line.String("logs", Path.Combine(Path.GetTempPath(), "pushex-compare"));
        var jsonPath = line.OptionalString("json");
        line.EnsureAllRead();
        Directory.CreateDirectory(logs);

        await using var redis = await RedisProcess.StartAsync(redisExecutable, core).ConfigureAwait(false);
        var servers = new List<ServerProcess>();
        try
        {
            for (var node = 0; node < nodes; node++)
            {
                servers.Add(await ServerProcess.StartAsync(serverDll, core, Path.Combine(logs, $"cluster-{node}.log"), ["--Redis", redis.Configuration]).ConfigureAwait(false));
            }

            using var target = new BenchTarget([.. servers.Select(server => server.Url)], "v2");
            await ConnectScenario.RunAsync(target, new ConnectSettings { Clients = 100 * nodes, Rate = 0, Hold = TimeSpan.Zero, Topics = 10, PublishRounds = 1 }, storm: false, TextWriter.Null).ConfigureAwait(false);
            await target.WaitForConnectionsAtMostAsync(0, TimeSpan.FromSeconds(30)).ConfigureAwait(false);

            var result = await ConnectScenario.RunAsync(target, settings, storm, Console.Error).ConfigureAwait(false);
            result.Note($"{nodes} PushEx nodes with a Redis backplane, pinned to core {core?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}; pushes enter through the first node");
            result.Print(output);
            var json = result.ToJsonString();
            output.WriteLine(json);
            if (jsonPath is not null)
            {
                await File.WriteAllTextAsync(jsonPath, json + Environment.NewLine).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }

        return 0;
    }
}
