using System.Diagnostics;
using System.Globalization;

namespace PushEx.LoadTest.Compare;

/// <summary>
/// A throw-away Redis Cluster of N masters without replicas, for measuring the backplane's publish throughput by the
/// number of shards: each server in cluster mode on free ports (its bus port given by <c>--cluster-port</c>), the
/// slots split evenly with <c>CLUSTER ADDSLOTSRANGE</c>, joined by <c>CLUSTER MEET</c>. One master works too, which
/// <c>redis-cli --cluster create</c> refuses.
/// </summary>
internal sealed class RedisShardCluster : IAsyncDisposable
{
    private const int SlotCount = 16384;

    private readonly DirectoryInfo _directory;
    private readonly List<RedisProcess> _masters = [];
    private readonly List<int> _busPorts = [];

    private RedisShardCluster(DirectoryInfo directory) => _directory = directory;

    public IReadOnlyList<RedisProcess> Masters => _masters;

    /// <summary>Every master, as a StackExchange.Redis configuration string.</summary>
    public string Configuration => string.Join(',', _masters.Select(master => master.Configuration));

    public static async Task<RedisShardCluster> StartAsync(string executable, int shards)
    {
        var cluster = new RedisShardCluster(Directory.CreateTempSubdirectory("pushex-shards-"));
        try
        {
            for (var shard = 0; shard < shards; shard++)
            {
                var bus = ServerProcess.FreePort();
                cluster._busPorts.Add(bus);
                var config = Path.Combine(cluster._directory.FullName, $"nodes-{shard}.conf");
                cluster._masters.Add(await RedisProcess.StartAsync(
                    executable,
                    core: null,
                    ["--cluster-enabled", "yes", "--cluster-config-file", config, "--cluster-port", Text(bus), "--dir", cluster._directory.FullName]).ConfigureAwait(false));
            }

            for (var shard = 0; shard < shards; shard++)
            {
                var from = SlotCount * shard / shards;
                var to = (SlotCount * (shard + 1) / shards) - 1;
                await CliAsync(cluster._masters[shard].Port, "CLUSTER", "ADDSLOTSRANGE", Text(from), Text(to)).ConfigureAwait(false);
                if (shard > 0)
                {
                    await CliAsync(cluster._masters[shard].Port, "CLUSTER", "MEET", "127.0.0.1", Text(cluster._masters[0].Port), Text(cluster._busPorts[0])).ConfigureAwait(false);
                }
            }

            await cluster.WaitUntilOkAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var master in _masters)
        {
            await master.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Left to the temp directory's cleaning.
        }
    }

    // Every master must see the whole cluster (cluster_state:ok, as many known nodes as masters).
    private async Task WaitUntilOkAsync(TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var master in _masters)
        {
            while (true)
            {
                var info = await CliAsync(master.Port, "CLUSTER", "INFO").ConfigureAwait(false);
                var lines = info.Split('\n', StringSplitOptions.TrimEntries);
                if (lines.Contains("cluster_state:ok") && lines.Contains($"cluster_known_nodes:{_masters.Count}"))
                {
                    break;
                }

                if (Stopwatch.GetElapsedTime(started) > timeout)
                {
                    throw new InvalidOperationException($"The Redis Cluster of {_masters.Count} shards did not come up:\n{info}");
                }

                await Task.Delay(100).ConfigureAwait(false);
            }
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static async Task<string> CliAsync(int port, params string[] arguments)
    {
        var start = new ProcessStartInfo("redis-cli") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(Text(port));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start.");
        var output = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0 || output.StartsWith("ERR", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments)} failed: {output}{await process.StandardError.ReadToEndAsync().ConfigureAwait(false)}");
        }

        return output;
    }
}
