using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace PushEx.LoadTest.Roll;

/// <summary>
/// Reads each node's row from HAProxy's runtime API (a unix socket: write <c>show stat</c>, read CSV) and, sampled once
/// a second during the run, the most connections a node took in one second.
/// </summary>
internal sealed class HaproxyStats(string socketPath)
{
    private const string Backend = "pushex_nodes";

    private readonly Dictionary<string, (long Connects, long PeakPerSecond)> _samples = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Samples every second until <paramref name="stop"/>; an unreachable socket is retried, not fatal.</summary>
    public async Task SampleAsync(TextWriter log, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var warned = false;
        try
        {
            do
            {
                try
                {
                    Update(await ReadAsync(stop).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or FormatException)
                {
                    if (!warned)
                    {
                        warned = true;
                        await log.WriteLineAsync($"roll: cannot read HAProxy stats from {socketPath}: {ex.Message}").ConfigureAwait(false);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    /// <summary>Each node's row now, with the peak connect rate sampled so far.</summary>
    public async Task<IReadOnlyList<NodeStat>> ReadAsync(CancellationToken cancellationToken)
    {
        var csv = await RuntimeCommandAsync("show stat", cancellationToken).ConfigureAwait(false);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            throw new FormatException("show stat answered nothing.");
        }

        var header = lines[0].TrimStart('#', ' ').Split(',');
        int Column(string name) => Array.IndexOf(header, name);
        var (proxy, server, status, current, rateMax, total, connect) =
            (Column("pxname"), Column("svname"), Column("status"), Column("scur"), Column("rate_max"), Column("stot"), Column("connect"));
        lock (_lock)
        {
            return [.. lines.Skip(1)
                .Select(line => line.Split(','))
                .Where(fields => fields.Length == header.Length && fields[proxy] == Backend && fields[server] is not ("BACKEND" or "FRONTEND"))
                .Select(fields => new NodeStat(
                    fields[server],
                    fields[status],
                    Number(fields, current),
                    Number(fields, rateMax),
                    Number(fields, total),
                    Number(fields, connect),
                    _samples.TryGetValue(fields[server], out var sample) ? sample.PeakPerSecond : 0))];
        }
    }

    private void Update(IReadOnlyList<NodeStat> stats)
    {
        lock (_lock)
        {
            foreach (var stat in stats)
            {
                _samples[stat.Name] = _samples.TryGetValue(stat.Name, out var last)
                    ? (stat.Connects, Math.Max(last.PeakPerSecond, stat.Connects - last.Connects))
                    : (stat.Connects, 0);
            }
        }
    }

    private async Task<string> RuntimeCommandAsync(string command, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token).ConfigureAwait(false);
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), timeout.Token).ConfigureAwait(false);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
    }

    private static long Number(string[] fields, int column) =>
        column < 0 || fields[column].Length == 0 ? 0 : long.Parse(fields[column], CultureInfo.InvariantCulture);
}
