using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using PushEx.Instrumentation;
using PushEx.Pipeline;
using PushEx.Protocol;
using PushEx.Tests.Infrastructure;
using PushEx.Topics;

namespace PushEx.Tests.Topics;

public sealed class LocalBroadcasterTests : IDisposable
{
    private readonly SocketHarness _node = new();
    private readonly TestMeterFactory _meters = new();
    private readonly LocalBroadcaster _broadcaster;

    public LocalBroadcasterTests()
    {
        var instrumentation = new InstrumentationHooks([], _node.Time, NullLogger<InstrumentationHooks>.Instance);
        _broadcaster = new LocalBroadcaster(_node.Topics, instrumentation, new PushMetrics(_meters, _node.Sockets, _node.Topics));
    }

    public void Dispose() => _meters.Dispose();

    [Fact]
    public async Task Broadcast_V1AndV2Subscribers_EachGetsTheMsgFrameWithItsOwnJoinRef()
    {
        var v2 = _node.Connect();
        var other = _node.Connect();
        var v1 = _node.Connect(V1JsonSerializer.Instance);
        await v2.SendTextAsync("""["3","3","t","phx_join",{}]""");
        await other.SendTextAsync("""["17","17","t","phx_join",{}]""");
        await v1.SendTextAsync("""{"topic":"t","event":"phx_join","payload":{},"ref":"1"}""");

        var delivered = _broadcaster.Broadcast(Push("t", "created", """{"id":1}"""));

        Assert.Equal(3, delivered);
        Assert.Equal("""["3",null,"t","msg",{"data":{"id":1},"event":"created"}]""", (await v2.WaitForTextFramesAsync(2))[1]);
        Assert.Equal("""["17",null,"t","msg",{"data":{"id":1},"event":"created"}]""", (await other.WaitForTextFramesAsync(2))[1]);
        Assert.Equal("""{"topic":"t","event":"msg","payload":{"data":{"id":1},"event":"created"},"ref":null}""", (await v1.WaitForTextFramesAsync(2))[1]);
    }

    [Fact]
    public void Broadcast_NoSubscribers_DeliversNothing()
    {
        Assert.Equal(0, _broadcaster.Broadcast(Push("nobody", "e", "1")));
    }

    [Fact]
    public async Task Broadcast_TenThousandSubscribers_SerializesOnce_AllocatingNothingPerSubscriber()
    {
        const int Subscribers = 10_000;
        var writesHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clients = new TestSocket[Subscribers];
        for (var i = 0; i < Subscribers; i++)
        {
            clients[i] = _node.Connect();
            await clients[i].SendTextAsync($$"""["{{i}}","{{i}}","t","phx_join",{}]""");
            await clients[i].WaitForTextFramesAsync(1);

            // From now on every write blocks, so each socket's writer stays busy and queues what follows.
            clients[i].Transport.BeforeSend = _ => new ValueTask(writesHeld.Task);
        }

        Assert.Equal(Subscribers, _broadcaster.Broadcast(Push("t", "warm-up", "0")));
        var push = Push("t", "e", $"\"{new string('x', 200)}\"");

        var before = GC.GetAllocatedBytesForCurrentThread();
        var delivered = _broadcaster.Broadcast(push);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Subscribers, delivered);

        // Encoding the frame once costs a few hundred bytes; once per subscriber would cost megabytes.
        Assert.True(allocated < 16 * 1024, $"broadcasting to {Subscribers} subscribers allocated {allocated} bytes");
        writesHeld.SetResult();
        foreach (var index in new[] { 0, 4_321, Subscribers - 1 })
        {
            var frames = await clients[index].WaitForTextFramesAsync(3);
            Assert.Equal($$"""["{{index}}",null,"t","msg",{"data":"{{new string('x', 200)}}","event":"e"}]""", frames[2]);
        }
    }

    private Push Push(string channel, string @event, string data) =>
        new(channel, @event, Encoding.UTF8.GetBytes(data), _node.Time.GetUtcNow().ToUnixTimeMilliseconds());
}
