using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using PushEx.LoadTest.Compare;

namespace PushEx.LoadTest.Scenarios;

/// <summary>
/// The server(s) a scenario drives: their addresses, the protocol their clients speak, and, when they are the
/// baseline bench servers, <c>GET /stats</c> (open connections, process id) and <c>GET /gc</c> (full GC, then memory).
/// Any PushEx server works as a target; the memory and CPU figures need the bench servers.
/// </summary>
internal sealed class BenchTarget : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    private int[]? _pids;

    public BenchTarget(IReadOnlyList<Uri> nodes, string protocol)
    {
        Nodes = nodes;
        Protocol = protocol;
    }

    public IReadOnlyList<Uri> Nodes { get; }

    public string Protocol { get; }

    public string[] Endpoints => [.. Nodes.Select(node => new IPEndPoint(IPAddress.Parse(node.Host), node.Port).ToString())];

    public static BenchTarget Parse(string urls, string protocol) =>
        new([.. urls.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(url => new Uri(url))], protocol);

    /// <summary>The process ids behind the nodes, or null when a node is not a bench server.</summary>
    public async Task<int[]?> ProcessIdsAsync()
    {
        if (_pids is not null)
        {
            return _pids;
        }

        try
        {
            var stats = await Task.WhenAll(Nodes.Select(node => _http.GetFromJsonAsync<StatsReport>(new Uri(node, "/stats")))).ConfigureAwait(false);
            _pids = [.. stats.Select(report => report?.ProcessId ?? 0)];
            return _pids.All(pid => pid > 0 && File.Exists($"/proc/{pid}/stat")) ? _pids : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Open connections summed over the nodes, as the servers count them.</summary>
    public async Task<int> ConnectionsAsync()
    {
        var stats = await Task.WhenAll(Nodes.Select(node => _http.GetFromJsonAsync<StatsReport>(new Uri(node, "/stats")))).ConfigureAwait(false);
        return stats.Sum(report => report?.Connections ?? 0);
    }

    /// <summary>Forces a full compacting GC on every node, then sums resident and managed memory; null when not bench servers.</summary>
    public async Task<MemorySample?> CollectAsync()
    {
        var pids = await ProcessIdsAsync().ConfigureAwait(false);
        if (pids is null)
        {
            return null;
        }

        var reports = await Task.WhenAll(Nodes.Select(node => _http.GetFromJsonAsync<GcReport>(new Uri(node, "/gc")))).ConfigureAwait(false);
        return new MemorySample(
            pids.Sum(pid => ProcessStats.ResidentBytes(pid)),
            reports.Sum(report => report?.ManagedBytes ?? 0),
            reports.Sum(report => report?.Connections ?? 0));
    }

    /// <summary>CPU milliseconds used so far by all nodes; null when not bench servers.</summary>
    public async Task<double?> CpuMillisecondsAsync()
    {
        var pids = await ProcessIdsAsync().ConfigureAwait(false);
        return pids?.Sum(ProcessStats.CpuMilliseconds);
    }

    /// <summary>Bytes the servers have allocated so far (managed heap, all threads); null when not bench servers.</summary>
    public async Task<long?> AllocatedBytesAsync()
    {
        try
        {
            var stats = await Task.WhenAll(Nodes.Select(node => _http.GetFromJsonAsync<StatsReport>(new Uri(node, "/stats")))).ConfigureAwait(false);
            return stats.Sum(report => report?.AllocatedBytes ?? 0);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Waits until the servers count at most <paramref name="connections"/> open connections (or the timeout passes).</summary>
    public async Task<int> WaitForConnectionsAtMostAsync(int connections, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var open = await ConnectionsAsync().ConfigureAwait(false);
            if (open <= connections || DateTime.UtcNow > until)
            {
                return open;
            }

            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    public void Dispose() => _http.Dispose();

    private sealed record StatsReport(
        [property: JsonPropertyName("connections")] int Connections,
        [property: JsonPropertyName("processId")] int ProcessId,
        [property: JsonPropertyName("allocatedBytes")] long AllocatedBytes);

    private sealed record GcReport(
        [property: JsonPropertyName("managedBytes")] long ManagedBytes,
        [property: JsonPropertyName("workingSetBytes")] long WorkingSetBytes,
        [property: JsonPropertyName("connections")] int Connections);
}
