using BenchmarkDotNet.Attributes;
using PushEx.Benchmarks.Infrastructure;
using PushEx.Pipeline;

namespace PushEx.Benchmarks.Topics;

/// <summary>
/// What a topic's history costs a push on one node: the per-user case of <see cref="PerUserBroadcastBenchmarks"/>
/// (topics of one subscriber each), published through the in-memory adapter with history on (each push gets its offset,
/// its payload with the position, and a place in the history) and off. Mean and Allocated are per push.
/// </summary>
[MemoryDiagnoser]
public class HistoryBenchmarks : IDisposable
{
    private const int PushesPerInvoke = 100;

    private BenchNode _node = null!;
    private Push[] _pushes = null!;
    private int _next;

    [Params(false, true)]
    public bool History { get; set; }

    [Params(100, 10_000)]
    public int Users { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _node = new BenchNode(options => options.History.Enabled = History);
        _node.Counter.Expect(Users);
        for (var user = 0; user < Users; user++)
        {
            _node.AddSubscriber($"user:{user}", v2: true);
        }

        _node.Counter.Wait();
        var data = """{"ts":1700000000000000,"seq":1,"pad":"xxxxxxxxxxxxxxxx"}"""u8.ToArray();
        _pushes = [.. Enumerable.Range(0, Users).Select(user => new Push($"user:{user}", "bench", data, 0))];
    }

    [Benchmark(OperationsPerInvoke = PushesPerInvoke, Description = "publish to a topic of one subscriber, per push")]
    public async Task<int> Publish()
    {
        _node.Counter.Expect(PushesPerInvoke);
        var listened = 0;
        for (var i = 0; i < PushesPerInvoke; i++)
        {
            var push = _pushes[_next];
            _next = (_next + 1) % _pushes.Length;
            listened += await _node.Adapter.PublishAsync(push, CancellationToken.None) ? 1 : 0;
        }

        _node.Counter.Wait();
        return listened;
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    public void Dispose()
    {
        _node?.Dispose();
        GC.SuppressFinalize(this);
    }
}
