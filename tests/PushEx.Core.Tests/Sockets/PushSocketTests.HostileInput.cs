using Microsoft.Extensions.Logging;
using PushEx.Protocol;
using PushEx.Sockets;
using PushEx.Tests.Infrastructure;

namespace PushEx.Tests.Sockets;

/// <summary>
/// Issue 15: frames a client can send at will must not make the server log above Debug. A string that unescapes to a
/// lone surrogate, in the topic, event, refs, join payload or any key, is a malformed frame like any other.
/// </summary>
public sealed partial class PushSocketTests
{
    [Theory]
    [InlineData("""["1","1","\ud800","phx_join",{}]""")]
    [InlineData("""["1","1","t","\ud800",{}]""")]
    [InlineData("""["1","\ud800","t","phx_join",{}]""")]
    [InlineData("""["\udc00","1","t","phx_join",{}]""")]
    [InlineData("""[null,"\ud800","phoenix","heartbeat",{}]""")]
    [InlineData("""["1","1","t","phx_join",{"token":"\ud800"}]""")]
    [InlineData("""["1","1","t","phx_join",{"recover":{"epoch":"\ud800","offset":0}}]""")]
    [InlineData("""["1","1","t","phx_join",{"\ud800":"x"}]""")]
    public async Task HandleFrameAsync_V2LoneSurrogate_ClosesWithProtocolErrorLoggedAtDebug(string frame)
    {
        var client = _node.Connect();

        await client.SendTextAsync(frame);

        await AssertClosedAsMalformedAsync(client);
    }

    [Theory]
    [InlineData("""{"topic":"\ud800","event":"phx_join","payload":{},"ref":"1"}""")]
    [InlineData("""{"topic":"t","event":"\ud800","payload":{},"ref":"1"}""")]
    [InlineData("""{"topic":"t","event":"phx_join","payload":{},"ref":"\ud800"}""")]
    [InlineData("""{"topic":"t","event":"phx_join","payload":{"token":"\ud800"},"ref":"1"}""")]
    [InlineData("""{"topic":"t","event":"phx_join","payload":{},"ref":"1","\ud800":1}""")]
    public async Task HandleFrameAsync_V1LoneSurrogate_ClosesWithProtocolErrorLoggedAtDebug(string frame)
    {
        var client = _node.Connect(V1JsonSerializer.Instance);

        await client.SendTextAsync(frame);

        await AssertClosedAsMalformedAsync(client);
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x03, 0x01, 0x01, 0x01, 0xED, 0xA0, 0x80, 0x32, 0x74, 0x65, 0x01 })]
    [InlineData(new byte[] { 0x00, 0x01, 0x03, 0x01, 0x01, 0x31, 0xED, 0xA0, 0x80, 0x74, 0x65, 0x01 })]
    [InlineData(new byte[] { 0x00, 0x01, 0x01, 0x03, 0x01, 0x31, 0x32, 0xED, 0xA0, 0x80, 0x65, 0x01 })]
    [InlineData(new byte[] { 0x00, 0x01, 0x01, 0x01, 0x03, 0x31, 0x32, 0x74, 0xED, 0xA0, 0x80, 0x01 })]
    [InlineData(new byte[] { 0x00, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0xFF, 0x01 })]
    public async Task HandleFrameAsync_BinaryFieldNotUtf8_ClosesWithProtocolErrorLoggedAtDebug(byte[] frame)
    {
        // ED A0 80 is U+D800 encoded as if it were a character (CESU-8): not UTF-8.
        var client = _node.Connect();

        await client.SendBinaryAsync(frame);

        await AssertClosedAsMalformedAsync(client);
    }

    private async Task AssertClosedAsMalformedAsync(TestSocket client)
    {
        var close = await client.Transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.ProtocolError, close.Code);
        Assert.Equal(0, close.FramesBefore);
        Assert.Empty(_node.JoinCalls);
        Assert.Empty(_node.Logs.WarningsOrAbove);
        var entry = Assert.Single(_node.Logs.Entries);
        Assert.Equal(("MalformedFrame", LogLevel.Debug), (entry.EventName, entry.Level));
    }
}
