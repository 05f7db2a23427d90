using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.LoadTest.Roll;

namespace PushEx.AspNetCore.Tests.Deploy;

/// <summary>
/// A rolling deploy with real parts: three sample nodes on one redis-server behind HAProxy (the shipped template),
/// clients of the load generator's roll scenario joined through it to their own topic and a shared one, pushes posted
/// through it at a steady rate, and every node stopped (drained) and started again in turn while they flow.
/// </summary>
public sealed class RollingDeployTests : IAsyncLifetime
{
    private const int Clients = 300;

    private RedisServer _redis = null!;

    public async ValueTask InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task RollingEveryNode_WhilePushesFlow_LosesNoAcceptedPush_AndEveryClientEndsJoined()
    {
        string[] settings =
        [
            $"--PushEx:Redis={_redis.Configuration}",
            "--PushEx:DisconnectSocketsOnShutdown=true",
            "--PushEx:ShutdownDisconnectWindow=00:00:01",
        ];
        var nodes = new SampleHost[3];
        try
        {
            for (var i = 0; i < nodes.Length; i++)
            {
                nodes[i] = await SampleHost.StartAsync(settings);
            }

            var names = nodes.Select((_, i) => $"node{i + 1}").ToArray();
            await using var haproxy = await HaproxyServer.StartAsync(nodes.Select((node, i) => (names[i], node.BaseAddress.Port)).ToList());
            await haproxy.WaitUntilUpAsync(names);
            var pushing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var scenario = new RollSettings
            {
                Url = haproxy.Url,
                Clients = Clients,
                Rate = 100,
                SharedRate = 5,
                Authorization = "Bearer " + SampleHost.ApiKey,
                FirstReconnectDelay = TimeSpan.FromMilliseconds(500),
                StartTimeout = TimeSpan.FromSeconds(30),
                Settle = TimeSpan.FromSeconds(15),
                PushingStarted = () => pushing.TrySetResult(),
            };
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var log = new StringWriter();
            var run = Task.Run(() => RollScenario.RunAsync(scenario, TextWriter.Synchronized(log), stop.Token), TestContext.Current.CancellationToken);
            await pushing.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

            for (var i = 0; i < nodes.Length; i++)
            {
                var port = nodes[i].BaseAddress.Port;
                await nodes[i].DisposeAsync();
                nodes[i] = await SampleHost.StartAsync(settings, port);
                await haproxy.WaitUntilUpAsync(names[i]);
            }

            await stop.CancelAsync();
            var result = await run.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

            var output = new StringWriter();
            result.Print(output);
            var report = $"{log}\n{output}";
            Assert.True(result.PushesAcceptedUser > 0 && result.PushesAcceptedShared > 0, report);
            Assert.True(result.Lost == 0, $"{result.Lost} accepted pushes were lost.\n{report}");
            Assert.True(result.Duplicated == 0, $"{result.Duplicated} pushes were delivered twice.\n{report}");
            Assert.True(result.PushesFailed == 0, $"{result.PushesFailed} pushes were refused through the load balancer.\n{report}");
            Assert.Equal(result.Expected, result.Delivered);
            Assert.True(result.ClientsDropped > 0, $"No client was moved by the roll.\n{report}");
            Assert.Equal(Clients, result.ConnectedAtEnd);
            Assert.Equal(Clients, result.JoinedAtEnd);
        }
        finally
        {
            foreach (var node in nodes.Where(node => node is not null))
            {
                await node.DisposeAsync();
            }
        }
    }
}
