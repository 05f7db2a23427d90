using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;
using PushEx.Instrumentation;
using PushEx.Pipeline;
using PushEx.PubSub;
using PushEx.Tests.Infrastructure;
using PushEx.Topics;

namespace PushEx.Tests.Pipeline;

public sealed class PushPipelineTests : IDisposable
{
    // The default of PushExOptions.MaxPushBytes.
    private const int DefaultMaxPushBytes = 256 * 1024;

    // {"data":"…","event":"e"} is the string's characters plus 23 bytes.
    private const int MsgPayloadOverhead = 23;

    private readonly TestMeterFactory _meters = new();
    private readonly IPubSubAdapter _adapter = Substitute.For<IPubSubAdapter>();
    private readonly PushPipeline _pipeline;

    public PushPipelineTests()
    {
        _adapter.IsAvailable.Returns(true);
        _adapter.PublishAsync(Arg.Any<Push>(), Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult(true));
        _pipeline = new PushPipeline(
            _adapter,
            new InstrumentationHooks([], TimeProvider.System, NullLogger<InstrumentationHooks>.Instance),
            new PushMetrics(_meters, new SocketRegistry(), new TopicRegistry()),
            Microsoft.Extensions.Options.Options.Create(new PushExOptions()),
            TimeProvider.System,
            NullLogger<PushPipeline>.Instance);
    }

    public void Dispose() => _meters.Dispose();

    [Fact]
    public void TryPublish_BytesOneOverMaxPushBytes_ThrowsNamingTheOptionAndQueuesNothing()
    {
        var data = StringData(DefaultMaxPushBytes - MsgPayloadOverhead + 1);

        var error = Assert.Throws<ArgumentException>(() => _pipeline.TryPublish("t", "e", data));

        Assert.Contains("PushEx:MaxPushBytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _pipeline.Pending);
        _adapter.DidNotReceive().PublishAsync(Arg.Any<Push>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public void TryPublish_JsonElementOneOverMaxPushBytes_ThrowsNamingTheOptionAndQueuesNothing()
    {
        using var document = JsonDocument.Parse(StringData(DefaultMaxPushBytes - MsgPayloadOverhead + 1));

        var error = Assert.Throws<ArgumentException>(() => _pipeline.TryPublish("t", "e", document.RootElement));

        Assert.Contains("PushEx:MaxPushBytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _pipeline.Pending);
        _adapter.DidNotReceive().PublishAsync(Arg.Any<Push>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public void TryPublish_MsgPayloadExactlyMaxPushBytes_IsAccepted()
    {
        var data = StringData(DefaultMaxPushBytes - MsgPayloadOverhead);

        Assert.Equal(PublishResult.Accepted, _pipeline.TryPublish("t", "e", data));
    }

    // A JSON string of that many characters: "xx…x".
    private static byte[] StringData(int characters) => Encoding.UTF8.GetBytes($"\"{new string('x', characters)}\"");
}
