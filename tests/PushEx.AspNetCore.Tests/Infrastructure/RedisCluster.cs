using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A real Redis Cluster on 127.0.0.1: six <c>redis-server</c> processes in cluster mode (three masters, a replica each),
/// on free ports whose cluster bus ports (port + 10000) are free too, joined by <c>redis-cli --cluster create</c>,
/// without persistence, in a temp directory of their own. Disposing kills every process by pid and deletes the
/// directory. A machine without redis-server fails the test with a message saying so: <c>.ci/run</c> installs
/// Debian's package (7.0, which has sharded pub/sub).
/// </summary>
public sealed partial class RedisCluster : IAsyncDisposable
{
    private const int Masters = 3;
    private const int BusPortOffset = 10_000;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _directory;
    private readonly Dictionary<int, ChildProcess> _processes = [];

    private RedisCluster(DirectoryInfo directory, IReadOnlyList<int> ports)
    {
        _directory = directory;
        Ports = ports;
    }

    /// <summary>The ports of all six servers, masters and replicas, in the order they were given to the cluster.</summary>
    public IReadOnlyList<int> Ports { get; }

    /// <summary>The ports of the servers that are masters now (<c>CLUSTER NODES</c>, read by <see cref="ReadMastersAsync"/>).</summary>
    public IReadOnlyList<int> MasterPorts { get; private set; } = [];

    /// <summary>A StackExchange.Redis configuration string naming every server of the cluster.</summary>
    public string Configuration => string.Join(',', Ports.Select(port => $"127.0.0.1:{port}"));

    public static async Task<RedisCluster> StartAsync(CancellationToken cancellationToken = default)
    {
        var cluster = Reserve();
        await cluster.StartServersAsync(cancellationToken);
        return cluster;
    }

    /// <summary>
    /// Picks the ports and the directory, and starts nothing yet (<see cref="StartServersAsync"/> does): so a test can
    /// start PushEx nodes on the cluster's configuration before the cluster exists.
    /// </summary>
    public static RedisCluster Reserve() => new(Directory.CreateTempSubdirectory("pushex-rcluster-"), FreePorts(Masters * 2));

    /// <summary>Starts the six servers, creates the cluster, and waits until it serves every slot with its replicas in sync.</summary>
    public async Task StartServersAsync(CancellationToken cancellationToken = default)
    {
        var executable = ChildProcess.FindOnPath("redis-server")
            ?? throw new InvalidOperationException("redis-server is not on PATH. Install it (Debian: apt-get install redis-server; .ci/run does) to run the Redis Cluster tests.");
        var cli = ChildProcess.FindOnPath("redis-cli")
            ?? throw new InvalidOperationException("redis-cli is not on PATH. Install it (Debian: apt-get install redis-tools; .ci/run does) to run the Redis Cluster tests.");
        try
        {
            foreach (var port in Ports)
            {
                StartServer(executable, port);
            }

            foreach (var process in _processes.Values)
            {
                await process.WaitForOutputAsync(ReadyLine(), StartTimeout, cancellationToken);
            }

            await ChildProcess.RunAsync(
                cli,
                ["--cluster", "create", .. Ports.Select(port => $"127.0.0.1:{port}"), "--cluster-replicas", "1", "--cluster-yes"],
                _directory.FullName,
                StartTimeout,
                cancellationToken: cancellationToken);
            await WaitUntilStateOkAsync(Ports, cancellationToken);
            await WaitForMastersAsync(port => true, cancellationToken);
            await WaitUntilReplicasSyncedAsync(Ports, cancellationToken);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <c>redis-cli -p port</c> with <paramref name="arguments"/> and returns its output.</summary>
    public static Task<string> CliAsync(int port, IEnumerable<string> arguments, CancellationToken cancellationToken = default) =>
        ChildProcess.RunAsync(
            "redis-cli",
            ["-p", port.ToString(CultureInfo.InvariantCulture), .. arguments],
            Path.GetTempPath(),
            StartTimeout,
            cancellationToken: cancellationToken);

    /// <summary>
    /// Reads which servers are masters now (they change after a failover) into <see cref="MasterPorts"/>: those that
    /// serve slots and are not failed, as the first running server sees it.
    /// </summary>
    public async Task ReadMastersAsync(CancellationToken cancellationToken = default) =>
        MasterPorts = [.. (await NodesAsync(cancellationToken)).Where(node => node.IsMaster && node.Slots.Count > 0).Select(node => node.Port).Order()];

    /// <summary>
    /// Kills the master on <paramref name="port"/> by its pid, as in a crash, then waits (bounded) until its replica has
    /// taken over and every other server reports <c>cluster_state:ok</c> again.
    /// </summary>
    public async Task KillMasterAndWaitForFailoverAsync(int port, CancellationToken cancellationToken = default)
    {
        await KillMasterAsync(port);
        await WaitForFailoverAsync(port, cancellationToken);
    }

    /// <summary>Kills the master on <paramref name="port"/> by its pid, as in a crash.</summary>
    public async Task KillMasterAsync(int port)
    {
        Assert.Contains(port, MasterPorts);
        var process = _processes[port];
        _processes.Remove(port);
        await process.DisposeAsync();
    }

    /// <summary>Waits (bounded) until the replica of the killed master on <paramref name="port"/> has taken over and the cluster is ok.</summary>
    public async Task WaitForFailoverAsync(int port, CancellationToken cancellationToken = default)
    {
        // In this order: right after the kill the others still report ok, until the node timeout marks the master failed.
        await WaitForMastersAsync(master => master != port, cancellationToken);
        await WaitUntilStateOkAsync([.. Ports.Where(_processes.ContainsKey)], cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Values)
        {
            await process.DisposeAsync();
        }

        _processes.Clear();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A server that outlived its kill still writes there; the temp directory is cleaned by the OS.
        }
    }

    private void StartServer(string executable, int port)
    {
        var text = port.ToString(CultureInfo.InvariantCulture);
        _processes[port] = ChildProcess.Start(
            executable,
            [
                "--cluster-enabled", "yes",
                "--cluster-config-file", Path.Combine(_directory.FullName, $"nodes-{text}.conf"),
                "--cluster-node-timeout", "2000",
                "--port", text,
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--protected-mode", "no",
                "--dir", _directory.FullName,

                // A replica that has not finished its first sync cannot take over; by default the master waits 5 s for
                // more replicas before it starts a diskless sync.
                "--repl-diskless-sync-delay", "0",
            ],
            _directory.FullName);
    }

    // Polls CLUSTER NODES until the cluster has its three masters, each one acceptable: right after the creation a
    // replica is listed as a master until the news of its CLUSTER REPLICATE has spread.
    private async Task WaitForMastersAsync(Func<int, bool> acceptable, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            await ReadMastersAsync(cancellationToken);
            if (MasterPorts.Count == Masters && MasterPorts.All(acceptable))
            {
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                var nodes = await CliAsync(Ports.First(_processes.ContainsKey), ["CLUSTER", "NODES"], cancellationToken);
                Assert.Fail($"The cluster did not settle on {Masters} masters within {StartTimeout.TotalSeconds:0} s (now: {string.Join(", ", MasterPorts)}). CLUSTER NODES:\n{nodes}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    // Polls INFO replication on each server until every replica is in sync with its master: only then can it take over.
    private static async Task WaitUntilReplicasSyncedAsync(IReadOnlyList<int> ports, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        foreach (var port in ports)
        {
            while (true)
            {
                var info = await CliAsync(port, ["INFO", "replication"], cancellationToken);
                if (info.Contains("role:master", StringComparison.Ordinal) || info.Contains("master_link_status:up", StringComparison.Ordinal))
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"The replica on port {port} did not sync with its master within {StartTimeout.TotalSeconds:0} s:\n{info}");
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    // Polls CLUSTER INFO on each server until it says the cluster is ok: every slot served, as that server sees it.
    private static async Task WaitUntilStateOkAsync(IReadOnlyList<int> ports, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        foreach (var port in ports)
        {
            while (true)
            {
                var info = await CliAsync(port, ["CLUSTER", "INFO"], cancellationToken);
                if (info.Contains("cluster_state:ok", StringComparison.Ordinal))
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"The server on port {port} did not report cluster_state:ok within {StartTimeout.TotalSeconds:0} s:\n{info}");
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    // Ports the OS hands out, kept only when port + 10000 (the cluster bus) is free as well and below 65536. Each is
    // held open until all are chosen, so no two are the same; another process may still take one before redis-server
    // binds it, as with RedisServer.
    private static List<int> FreePorts(int count)
    {
        var held = new List<TcpListener>();
        try
        {
            var ports = new List<int>();
            for (var attempt = 0; ports.Count < count; attempt++)
            {
                Assert.True(attempt < 1000, "Found no free ports whose cluster bus port (port + 10000) is free too.");
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                held.Add(listener);
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (port + BusPortOffset > IPEndPoint.MaxPort || ports.Contains(port - BusPortOffset) || ports.Contains(port + BusPortOffset))
                {
                    continue;
                }

                var bus = new TcpListener(IPAddress.Loopback, port + BusPortOffset);
                try
                {
                    bus.Start();
                }
                catch (SocketException)
                {
                    continue;
                }

                held.Add(bus);
                ports.Add(port);
            }

            return ports;
        }
        finally
        {
            foreach (var listener in held)
            {
                listener.Stop();
            }
        }
    }

    [GeneratedRegex("Ready to accept connections")]
    private static partial Regex ReadyLine();
}
