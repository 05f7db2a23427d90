using BenchmarkDotNet.Attributes;
using PushEx.Benchmarks.Infrastructure;
using PushEx.Pipeline;
using PushEx.Topics;

namespace PushEx.Benchmarks.Topics;

/// <summary>
/// One push to 10 000 local subscribers of one topic, through the real <see cref="LocalBroadcaster"/>, registry,
/// <c>PushSocket</c>s and their outboxes, until every socket's writer has handed its frame to the transport.
/// With <c>OperationsPerInvoke</c> = subscribers, BenchmarkDotNet's Mean and Allocated are per delivery.
/// </summary>
[MemoryDiagnoser]
public class FanOutBenchmarks : IDisposable
{
    private const int Subscribers = 10_000;
    private const string Topic = "room:1";

    private BenchNode _node = null!;
    private Push _push = null!;

    /// <summary>V2 subscribers only, V1 only, or half of each (the frame is then encoded once per version).</summary>
    [Params("V2", "V1", "Mixed")]
    public string Versions { get; set; } = "V2";

    [GlobalSetup]
    public void Setup()
    {
        _node = new BenchNode();
        _node.Counter.Expect(Subscribers);
        for (var i = 0; i < Subscribers; i++)
        {
            _node.AddSubscriber(Topic, v2: Versions == "V2" || (Versions == "Mixed" && i % 2 == 0));
        }

        // The join replies are written too; wait for them so the measured runs start from quiet outboxes.
        _node.Counter.Wait();
        _push = new Push(Topic, "bench", """{"ts":1700000000000000,"seq":1,"pad":"xxxxxxxxxxxxxxxx"}"""u8.ToArray(), 0);
    }

    [Benchmark(OperationsPerInvoke = Subscribers, Description = "push to 10 000 subscribers, per delivery")]
    public int Broadcast()
    {
        _node.Counter.Expect(Subscribers);
        var delivered = _node.Broadcaster.Broadcast(_push);
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
