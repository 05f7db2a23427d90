using BenchmarkDotNet.Attributes;
using PushEx.Benchmarks.Infrastructure;
using PushEx.Pipeline;

namespace PushEx.Benchmarks.Topics;

/// <summary>
/// The per-user case: 100 pushes, each to a topic with a single subscriber (one user's own topic). Nothing is
/// shared between deliveries here, so Mean and Allocated (per push, which is per delivery) show the cost of one push
/// through the broadcaster: the frame encoding and the bookkeeping that a large fan-out amortizes.
/// </summary>
[MemoryDiagnoser]
public class PerUserBroadcastBenchmarks : IDisposable
{
    private const int Users = 100;

    private BenchNode _node = null!;
    private Push[] _pushes = null!;

    [GlobalSetup]
    public void Setup()
    {
        _node = new BenchNode();
        _node.Counter.Expect(Users);
        for (var user = 0; user < Users; user++)
        {
            _node.AddSubscriber($"user:{user}", v2: true);
        }

        _node.Counter.Wait();
        var data = """{"ts":1700000000000000,"seq":1,"pad":"xxxxxxxxxxxxxxxx"}"""u8.ToArray();
        _pushes = [.. Enumerable.Range(0, Users).Select(user => new Push($"user:{user}", "bench", data, 0))];
    }

    [Benchmark(OperationsPerInvoke = Users, Description = "push to a topic of one subscriber, per delivery")]
    public int Broadcast()
    {
        _node.Counter.Expect(Users);
        var delivered = 0;
        foreach (var push in _pushes)
        {
            delivered += _node.Broadcaster.Broadcast(push);
        }

        _node.Counter.Wait();
        return delivered;
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    public void Dispose()
    {
        _node?.Dispose();
        GC.SuppressFinalize(this);
    }
}
