using System.Buffers;
using BenchmarkDotNet.Attributes;
using PushEx.Protocol;

namespace PushEx.Benchmarks.Protocol;

/// <summary>
/// The codec on its hot paths: decoding what clients send (join, heartbeat) and encoding what the server sends
/// (the shared body of a fan-out frame, a subscriber's join-ref prefix, a join reply). Output goes to a reused
/// buffer writer, so Allocated is the codec's own allocation.
/// </summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private static readonly byte[] V2Join = """["3","3","room:42","phx_join",{}]"""u8.ToArray();
    private static readonly byte[] V2Heartbeat = """[null,"7","phoenix","heartbeat",{}]"""u8.ToArray();
    private static readonly byte[] V1Join = """{"topic":"room:42","event":"phx_join","payload":{},"ref":"3","join_ref":"3"}"""u8.ToArray();
    private static readonly byte[] MsgPayload = """{"data":{"ts":1700000000000000,"seq":1,"pad":"xxxxxxxxxxxxxxxx"},"event":"bench"}"""u8.ToArray();
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private ClientMessage _join = null!;

    [GlobalSetup]
    public void Setup() => V2JsonSerializer.Instance.TryDecode(V2Join, isBinary: false, out _join!);

    [Benchmark(Description = "decode V2 phx_join")]
    public object? DecodeV2Join() => V2JsonSerializer.Instance.TryDecode(V2Join, isBinary: false, out var message) ? message : null;

    [Benchmark(Description = "decode V2 heartbeat")]
    public object? DecodeV2Heartbeat() => V2JsonSerializer.Instance.TryDecode(V2Heartbeat, isBinary: false, out var message) ? message : null;

    [Benchmark(Description = "decode V1 phx_join")]
    public object? DecodeV1Join() => V1JsonSerializer.Instance.TryDecode(V1Join, isBinary: false, out var message) ? message : null;

    [Benchmark(Description = "encode V2 fan-out body (once per push)")]
    public ReadOnlyMemory<byte> EncodeV2SharedPush() => V2JsonSerializer.Instance.EncodeSharedPush("room:42", "msg", MsgPayload);

    [Benchmark(Description = "encode V1 fan-out frame (once per push)")]
    public ReadOnlyMemory<byte> EncodeV1SharedPush() => V1JsonSerializer.Instance.EncodeSharedPush("room:42", "msg", MsgPayload);

    [Benchmark(Description = "encode V2 join-ref prefix (once per join)")]
    public ReadOnlyMemory<byte> EncodeV2JoinRefPrefix() => V2JsonSerializer.Instance.EncodeJoinRefPrefix("3");

    [Benchmark(Description = "encode V2 join reply")]
    public int WriteV2JoinReply()
    {
        _output.ResetWrittenCount();
        V2JsonSerializer.Instance.WriteReply(_output, _join, "3", "ok", EmptyObject);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "encode V2 push frame (whole, per message)")]
    public int WriteV2Message()
    {
        _output.ResetWrittenCount();
        V2JsonSerializer.Instance.WriteMessage(_output, "3", null, "room:42", "msg", MsgPayload);
        return _output.WrittenCount;
    }
}
