using System.Text.RegularExpressions;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on 127.0.0.1 and a free port, without persistence. It can be stopped and started again
/// on the same port, to test outages. A machine without redis-server fails the test with a message saying so:
/// <c>.ci/run</c> installs Debian's package.
/// </summary>
public sealed partial class RedisServer : IAsyncDisposable
{
    private ChildProcess? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(FreePort.Next());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again) on its port.</summary>
    public async Task StartAgainAsync()
    {
        var executable = ChildProcess.FindOnPath("redis-server")
            ?? throw new InvalidOperationException("redis-server is not on PATH. Install it (Debian: apt-get install redis-server; .ci/run does) to run the Redis backplane tests.");
        _process = ChildProcess.Start(
            executable,
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
            Path.GetTempPath());
        await _process.WaitForOutputAsync(ReadyLine(), TimeSpan.FromSeconds(20));
    }

    /// <summary>Kills the server: every connection to it breaks at once, as in a crash.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            await process.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();


    [GeneratedRegex("Ready to accept connections")]
    private static partial Regex ReadyLine();
}
