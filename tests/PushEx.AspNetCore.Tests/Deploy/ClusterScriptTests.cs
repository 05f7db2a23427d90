using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using PushEx.AspNetCore.Tests.Infrastructure;
using static PushEx.AspNetCore.Tests.Infrastructure.PushApiClient;

namespace PushEx.AspNetCore.Tests.Deploy;

/// <summary>
/// <c>deploy/local/cluster.sh</c> (issue 12): three sample nodes on one redis-server behind HAProxy, started, rolled
/// and stopped by the script, on free ports and with its state in a temporary folder. Whatever happens, the script's
/// own <c>down</c> runs at the end, so a failed test leaves no process behind.
/// </summary>
public sealed class ClusterScriptTests : IAsyncLifetime
{
    private const int Nodes = 3;

    // A command may build nothing (the sample comes prebuilt) but waits for nodes on a busy machine; roll waits for
    // three drains and restarts.
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    private static readonly string Script = Path.Combine(RepositoryLayout.Root, "deploy", "local", "cluster.sh");

    private readonly string _stateDirectory = Directory.CreateTempSubdirectory("pushex-cluster-").FullName;
    private readonly int _basePort;
    private readonly int _lbPort;
    private readonly int _redisPort;
    private readonly Dictionary<string, string> _environment;
    private readonly HttpClient _http;

    public ClusterScriptTests()
    {
        (_basePort, _lbPort, _redisPort) = FreePorts();
        _environment = new Dictionary<string, string>
        {
            ["PUSHEX_NODES"] = Nodes.ToString(CultureInfo.InvariantCulture),
            ["PUSHEX_BASE_PORT"] = _basePort.ToString(CultureInfo.InvariantCulture),
            ["PUSHEX_LB_PORT"] = _lbPort.ToString(CultureInfo.InvariantCulture),
            ["PUSHEX_REDIS_PORT"] = _redisPort.ToString(CultureInfo.InvariantCulture),
            ["PUSHEX_CLUSTER_DIR"] = _stateDirectory,
            // The sample this test project builds (it references samples/PushEx.Sample), so the script builds nothing.
            ["PUSHEX_SAMPLE_DLL"] = Path.Combine(AppContext.BaseDirectory, "PushEx.Sample.dll"),
            // A roll moves every socket over one second per node, instead of the script's default two.
            ["PushEx__ShutdownDisconnectWindow"] = "00:00:01",
        };
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_lbPort}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        // Idempotent: after a passing test this finds nothing to stop.
        await using (var down = ChildProcess.Start(Script, ["down"], RepositoryLayout.Root, _environment))
        {
            await down.WaitForExitAsync(CommandTimeout);
        }

        Directory.Delete(_stateDirectory, recursive: true);
    }

    [Fact]
    public async Task UpRollDown_ThreeNodes_ServeThroughHaproxyRollToNewPidsAndLeaveNoProcess()
    {
        await RunAsync("up");

        var nodePids = NodePids();
        int[] servicePids = [Pid("haproxy"), Pid("redis")];
        foreach (var port in NodePorts())
        {
            Assert.Equal(HttpStatusCode.OK, await ReadinessAsync(port));
        }

        await using (var socket = await JoinThroughHaproxyAsync(user: "7"))
        {
            await PushThroughHaproxyAsync("user:7", n: 1);
            Assert.Contains("\"data\":{\"n\":1},\"event\":\"hello\"", await socket.ReceiveTextAsync(), StringComparison.Ordinal);

            var status = await RunAsync("status");
            Assert.Equal(Nodes, status.Split('\n').Count(line => line.StartsWith("node", StringComparison.Ordinal) && line.Contains(" ready ", StringComparison.Ordinal) && line.Contains("HAProxy: UP", StringComparison.Ordinal)));

            await RunAsync("roll");

            // Its node was rolled like every other: the drain closed the socket with 1012 (service restart).
            Assert.Equal((WebSocketCloseStatus)1012, await socket.ReceiveCloseAsync());
        }

        var rolledPids = NodePids();
        Assert.All(Enumerable.Range(0, Nodes), k => Assert.NotEqual(nodePids[k], rolledPids[k]));
        Assert.All(nodePids, pid => Assert.False(IsAlive(pid), $"node pid {pid} still runs after the roll"));
        foreach (var port in NodePorts())
        {
            Assert.Equal(HttpStatusCode.OK, await ReadinessAsync(port));
        }

        await using (var socket = await JoinThroughHaproxyAsync(user: "8"))
        {
            await PushThroughHaproxyAsync("user:8", n: 2);
            Assert.Contains("\"data\":{\"n\":2},\"event\":\"hello\"", await socket.ReceiveTextAsync(), StringComparison.Ordinal);
        }

        await RunAsync("down");

        int[] everyPid = [.. nodePids, .. rolledPids, .. servicePids];
        int[] everyPort = [.. NodePorts(), _lbPort, _redisPort];
        Assert.All(everyPid, pid => Assert.False(IsAlive(pid), $"pid {pid} still runs after down"));
        Assert.All(everyPort, port => Assert.False(Listening(port), $"port {port} still takes connections after down"));
        Assert.Empty(Directory.GetFiles(_stateDirectory, "*.pid"));
        await RunAsync("down");
    }

    private async Task<string> RunAsync(string command) =>
        await ChildProcess.RunAsync(Script, [command], RepositoryLayout.Root, CommandTimeout, _environment, TestContext.Current.CancellationToken);

    private IEnumerable<int> NodePorts() => Enumerable.Range(1, Nodes).Select(k => _basePort + k);

    private int Pid(string name) =>
        int.Parse(File.ReadAllText(Path.Combine(_stateDirectory, name + ".pid")).Trim(), CultureInfo.InvariantCulture);

    private int[] NodePids() => [.. Enumerable.Range(1, Nodes).Select(k => Pid($"node{k}"))];

    private static async Task<HttpStatusCode> ReadinessAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/ready"), TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private async Task<TestWebSocket> JoinThroughHaproxyAsync(string user)
    {
        using var response = await _http.GetAsync(new Uri($"/token?user={user}", UriKind.Relative), TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var token = Uri.EscapeDataString(body.RootElement.GetProperty("token").GetString()!);
        var socket = await TestWebSocket.ConnectAsync(new Uri($"ws://127.0.0.1:{_lbPort}/push_socket/websocket?token={token}&vsn=2.0.0"));
        await socket.SendTextAsync($$"""["1","1","user:{{user}}","phx_join",{}]""");
        using var reply = JsonDocument.Parse(await socket.ReceiveTextAsync());
        Assert.Equal("ok", reply.RootElement[4].GetProperty("status").GetString());
        return socket;
    }

    // Through HAProxy the push may reach another node than the socket's: Redis carries it across.
    private async Task PushThroughHaproxyAsync(string channel, int n)
    {
        using var response = await PostAsync(_http, $$"""{"channel":"{{channel}}","data":{"n":{{n}}},"event":"hello"}""", key: "dev-api-key");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST /api/push through HAProxy answered {(int)response.StatusCode}: {await BodyAsync(response)}");
    }

    // Gone, or a zombie waiting for a parent to reap it (a container's init may never do so): either way not running.
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool Listening(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // The nodes need consecutive ports (base+1 .. base+N): take a free one from the system and keep it only if the
    // next ones are free too. The listeners are closed before the script starts; nothing else binds in between.
    private static (int BasePort, int LbPort, int RedisPort) FreePorts()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var listeners = new List<TcpListener>();
            try
            {
                var first = Listen(0, listeners);
                for (var k = 1; k < Nodes; k++)
                {
                    Listen(first + k, listeners);
                }

                var lb = Listen(0, listeners);
                var redis = Listen(0, listeners);
                return (first - 1, lb, redis);
            }
            catch (SocketException)
            {
                // One of the next ports is taken: try another first port.
            }
            finally
            {
                listeners.ForEach(listener => listener.Stop());
            }
        }

        throw new InvalidOperationException($"Found no {Nodes} consecutive free ports on 127.0.0.1.");
    }

    private static int Listen(int port, List<TcpListener> listeners)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        listeners.Add(listener);
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
