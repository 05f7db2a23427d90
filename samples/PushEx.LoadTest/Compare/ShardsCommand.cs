using System.Diagnostics;
using System.Globalization;
using PushEx.LoadTest.Cli;
using PushEx.LoadTest.Scenarios;

namespace PushEx.LoadTest.Compare;

/// <summary>
/// <c>shards</c>: the backplane's publish throughput by the number of Redis Cluster shards. For each shard count, a
/// fresh cluster, two PushEx bench nodes on it (sharded pub/sub), subscribers on one topic each joined to the first node,
/// and pushes posted to the second at a set rate, each naming a batch of those topics: every push crosses the
/// backplane. The same load for each count; reports what the fan-out scenario does, plus each shard's CPU.
/// </summary>
internal static class ShardsCommand
{
    public static async Task<int> RunAsync(CommandLine line, TextWriter output)
    {
        var shardCounts = line.String("shards", "1,3").Split(',').Select(count => int.Parse(count, CultureInfo.InvariantCulture)).ToList();
        var settings = new FanoutSettings
        {
            Subscribers = line.Int("subscribers", 10_000),
            PerUser = true,
            Rate = line.Double("rate", 200),
            Duration = line.Seconds("seconds", 20),
            Batch = line.Int("batch", 50),
            PadBytes = line.Int("pad", 16),
            MaxInFlight = line.Int("in-flight", 16),
        };
        var producerConcurrency = line.Int("producer-concurrency", 10);
        var redisExecutable = line.String("redis-server", "redis-server");
        var serverDll = line.String("pushex-server", Path.Combine(CompareSettings.RepositoryRoot(), "tests/Baselines/PushEx.BenchServer/bin/Release/net10.0/PushEx.BenchServer.dll"));
        var logs = line.String("logs", Path.Combine(Path.GetTempPath(), "pushex-compare"));
        var jsonPath = line.OptionalString("json");
        line.EnsureAllRead();
        Directory.CreateDirectory(logs);

        var results = new List<string>();
        foreach (var shards in shardCounts)
        {
            await using var cluster = await RedisShardCluster.StartAsync(redisExecutable, shards).ConfigureAwait(false);
            await using var first = await ServerProcess.StartAsync(serverDll, core: null, Path.Combine(logs, $"shards-{shards}-a.log"), ["--Redis", cluster.Configuration]).ConfigureAwait(false);
            await using var second = await ServerProcess.StartAsync(
                serverDll,
                core: null,
                Path.Combine(logs, $"shards-{shards}-b.log"),
                ["--Redis", cluster.Configuration, "--PushEx:ProducerMaxConcurrency", producerConcurrency.ToString(CultureInfo.InvariantCulture)]).ConfigureAwait(false);
            using var target = new BenchTarget([first.Url], "v2");

            // Each shard's CPU over the publishing only: subscribing the topics' channels is not the backplane's steady work.
            var redisCpu = new double[shards];
            var window = Stopwatch.StartNew();
            var result = await FanoutScenario.RunAsync(
                target,
                settings with
                {
                    PublishUrl = second.Url,
                    PublishWindowStarting = () =>
                    {
                        window.Restart();
                        for (var shard = 0; shard < shards; shard++)
                        {
                            redisCpu[shard] = -ProcessStats.CpuMilliseconds(cluster.Masters[shard].ProcessId);
                        }
                    },
                    PublishWindowEnded = () =>
                    {
                        window.Stop();
                        for (var shard = 0; shard < shards; shard++)
                        {
                            redisCpu[shard] += ProcessStats.CpuMilliseconds(cluster.Masters[shard].ProcessId);
                        }
                    },
                },
                Console.Error).ConfigureAwait(false);
            for (var shard = 0; shard < shards; shard++)
            {
                result.Add($"redis_shard_{shard}_cpu_percent", $"Redis shard {shard} CPU while publishing (of one core)", redisCpu[shard] / window.Elapsed.TotalMilliseconds * 100, "%", 1);
            }

            result.Note($"{shards} Redis Cluster shard(s), no replicas; 2 PushEx bench nodes; subscribers on the first, pushes of {settings.Batch} topics each posted to the second (ProducerMaxConcurrency {producerConcurrency})");
            result.Print(output);
            results.Add(result.ToJsonString());
        }

        var json = "[" + string.Join(",", results) + "]";
        output.WriteLine(json);
        if (jsonPath is not null)
        {
            await File.WriteAllTextAsync(jsonPath, json + Environment.NewLine).ConfigureAwait(false);
        }

        return 0;
    }
}
