using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using PushEx.LoadTest.Roll;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A real <c>haproxy</c> on 127.0.0.1 and a free port, running <c>deploy/haproxy/haproxy.cfg</c> as shipped with only
/// its nodes replaced, so the tests prove the template operators copy. Its runtime API reports each node's state and
/// sessions. A machine without haproxy fails the test with a message saying so: the README's test command installs
/// Debian's package.
/// </summary>
public sealed partial class HaproxyServer : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;

    private HaproxyServer(ChildProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The load balancer's address, for sockets (<c>ws://</c>) and pushes alike.</summary>
    public Uri Url => new($"http://127.0.0.1:{Port}");

    private string SocketPath => Path.Combine(_directory, "haproxy.sock");

    /// <summary>The template's text with its nodes (between <c># BEGIN nodes</c> and <c># END nodes</c>) replaced.</summary>
    public static string Render(string template, IReadOnlyList<(string Name, int Port)> nodes)
    {
        var match = NodesBlock().Match(template);
        Assert.True(match.Success, "deploy/haproxy/haproxy.cfg has no '# BEGIN nodes' … '# END nodes' block.");
        var indent = match.Groups["indent"].Value;
        var servers = new StringBuilder();
        foreach (var (name, port) in nodes)
        {
            servers.Append(CultureInfo.InvariantCulture, $"{indent}server {name} 127.0.0.1:{port}\n");
        }

        return template[..match.Groups["servers"].Index] + servers + template[(match.Groups["servers"].Index + match.Groups["servers"].Length)..];
    }

    /// <summary>Starts HAProxy in front of nodes listening on 127.0.0.1 at the given ports, and waits until it listens.</summary>
    public static async Task<HaproxyServer> StartAsync(IReadOnlyList<(string Name, int Port)> nodes)
    {
        var executable = ChildProcess.FindOnPath("haproxy") ?? (File.Exists("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : null)
            ?? throw new InvalidOperationException("haproxy is not installed. Install it (Debian: apt-get install haproxy; the README's test command does) to run the deployment tests.");
        var template = await File.ReadAllTextAsync(Path.Combine(RepositoryLayout.Root, "deploy", "haproxy", "haproxy.cfg"));
        var directory = Directory.CreateTempSubdirectory("pushex-haproxy-").FullName;
        var config = Path.Combine(directory, "haproxy.cfg");
        await File.WriteAllTextAsync(config, Render(template, nodes));
        var port = FreePort.Next();
        var environment = new Dictionary<string, string>
        {
            ["PUSHEX_HAPROXY_BIND"] = $"127.0.0.1:{port}",
            ["PUSHEX_HAPROXY_SOCKET"] = Path.Combine(directory, "haproxy.sock"),
        };

        // -db: stay in the foreground, so the test owns the process and its pid.
        var process = ChildProcess.Start(executable, ["-db", "-f", config], directory, environment);
        var server = new HaproxyServer(process, directory, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await server.AcceptsAsync())
        {
            Assert.True(DateTime.UtcNow < deadline, $"HAProxy did not listen on port {port} within 20 s. Output:\n{process.OutputTail}");
            await Task.Delay(20);
        }

        return server;
    }

    /// <summary>Each node's row from the runtime API's <c>show stat</c>, read as the load generator's roll run reads it.</summary>
    internal Task<IReadOnlyList<NodeStat>> NodeStatsAsync() => new HaproxyStats(SocketPath).ReadAsync(CancellationToken.None);

    /// <summary>Waits until HAProxy's health checks see every node in <paramref name="names"/> as up.</summary>
    public async Task WaitUntilUpAsync(params string[] names)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var stats = await NodeStatsAsync();
            if (names.All(name => stats.Any(stat => stat.Name == name && stat.Status == "UP")))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"HAProxy did not see {string.Join(", ", names)} up within 20 s: {string.Join(", ", stats)}.");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder harms nothing.
        }
    }

    private async Task<bool> AcceptsAsync()
    {
        if (!File.Exists(SocketPath))
        {
            return false;
        }

        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^(?<indent>[ \t]*)# BEGIN nodes[^\n]*\n(?<servers>(?:[^\n]*\n)*?)[ \t]*# END nodes", RegexOptions.Multiline)]
    private static partial Regex NodesBlock();
}
