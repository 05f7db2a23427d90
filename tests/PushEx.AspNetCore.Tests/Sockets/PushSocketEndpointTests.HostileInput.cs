using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Sockets;

/// <summary>
/// Issue 15, end to end: what a client sends at will (frames, handshake queries) must not make the server log above
/// Debug, and a socket that sends it affects no other socket.
/// </summary>
public sealed partial class PushSocketEndpointTests
{
    [Theory]
    [InlineData("2.0.0", """["1","1","\ud800","phx_join",{}]""")]
    [InlineData("2.0.0", """["1","1","t","\ud800",{}]""")]
    [InlineData("2.0.0", """["1","\ud800","t","phx_join",{}]""")]
    [InlineData("2.0.0", """["1","1","t","phx_join",{"token":"\ud800"}]""")]
    [InlineData("2.0.0", """["1","1","t","phx_join",{"\ud800":1}]""")]
    [InlineData("1.0.0", """{"topic":"\ud800","event":"phx_join","payload":{},"ref":"1"}""")]
    [InlineData("1.0.0", """{"topic":"t","event":"\ud800","payload":{},"ref":"1"}""")]
    [InlineData("1.0.0", """{"topic":"t","event":"phx_join","payload":{},"ref":"\ud800"}""")]
    [InlineData("1.0.0", """{"topic":"t","event":"phx_join","payload":{"recover":{"epoch":"\ud800","offset":0}},"ref":"1"}""")]
    public async Task LoneSurrogateFrame_ClosesWith1002_LogsNothingAboveDebug(string vsn, string frame)
    {
        var logs = new RecordingLoggerProvider();
        await using var host = await PushExTestHost.StartAsync(configureServices: LogRecording.Into(logs));
        await using var bystander = await TestWebSocket.ConnectAsync(host.SocketUri());
        await bystander.SendTextAsync("""["1","1","t","phx_join",{}]""");
        Assert.Equal($"""["1","1","t","phx_reply",{OkReply}]""", await bystander.ReceiveTextAsync());
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri($"vsn={vsn}"));

        await client.SendTextAsync(frame);

        Assert.Equal(WebSocketCloseStatus.ProtocolError, await client.ReceiveCloseAsync());
        await bystander.SendTextAsync("""[null,"2","phoenix","heartbeat",{}]""");
        Assert.Equal($"""[null,"2","phoenix","phx_reply",{OkReply}]""", await bystander.ReceiveTextAsync());
        Assert.Empty(logs.WarningsOrAbove);
        Assert.Contains(logs.Entries, entry => entry is { EventName: "MalformedFrame", Level: LogLevel.Debug });
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x01, 0x01, 0x03, 0x01, 0x31, 0x32, 0xED, 0xA0, 0x80, 0x65, 0x01 })]
    [InlineData(new byte[] { 0x00, 0x01, 0x01, 0x01, 0x01, 0x31, 0x32, 0x74, 0xFF, 0x01 })]
    public async Task BinaryFrameFieldNotUtf8_ClosesWith1002_LogsNothingAboveDebug(byte[] frame)
    {
        var logs = new RecordingLoggerProvider();
        await using var host = await PushExTestHost.StartAsync(configureServices: LogRecording.Into(logs));
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());

        await client.SendAsync(frame, WebSocketMessageType.Binary);

        Assert.Equal(WebSocketCloseStatus.ProtocolError, await client.ReceiveCloseAsync());
        Assert.Empty(logs.WarningsOrAbove);
    }

    [Theory]
    [InlineData("vsn=2.0.0&token=%ED%A0%80")]
    [InlineData("vsn=2.0.0&token=%uD800")]
    [InlineData("vsn=2.0.0&%ED%A0%80=x")]
    [InlineData("vsn=2.0.0&token[%ED%A0%80]=x")]
    [InlineData("vsn=2.0.0&token=%FF%FE")]
    [InlineData("vsn=2.0.0&token=%C0%AF")]
    public async Task HandshakeQueryNotUtf8_Connects_LogsNothingAboveDebug(string query)
    {
        // Percent-escapes that do not decode to UTF-8 are kept as they came (and %u is no escape), so the handler's
        // GetParam("token") always reads a valid string: the same answer as any other token.

        var logs = new RecordingLoggerProvider();
        await using var host = await PushExTestHost.StartAsync(configureServices: LogRecording.Into(logs));

        Assert.Equal(101, await TestWebSocket.GetUpgradeStatusAsync(host.SocketUri(query)));
        Assert.Empty(logs.WarningsOrAbove);
    }

    [Theory]
    [InlineData("vsn=%ED%A0%80")]
    [InlineData("vsn=2.0.0%ED%A0%80")]
    [InlineData("vsn[%ED%A0%80]=2.0.0")]
    public async Task HandshakeVsnNotUtf8_Is403LikeAnyUnsupportedVsn_LogsNothingAboveDebug(string query)
    {
        var logs = new RecordingLoggerProvider();
        await using var host = await PushExTestHost.StartAsync(configureServices: LogRecording.Into(logs));

        Assert.Equal(403, await TestWebSocket.GetUpgradeStatusAsync(host.SocketUri(query)));
        Assert.Empty(logs.WarningsOrAbove);
        Assert.Contains(logs.Entries, entry => entry is { EventName: "VsnRefused", Level: LogLevel.Debug });
    }

    [Theory]
    [InlineData("7aCA")]
    [InlineData("__4")]
    public async Task AuthTokenNotUtf8_Is403LikeAMalformedToken_LogsNothingAboveDebug(string encoded)
    {
        // 7aCA is base64 of ED A0 80 (a surrogate encoded as if it were a character); __4 is not base64.
        var logs = new RecordingLoggerProvider();
        await using var host = await PushExTestHost.StartAsync(configureServices: LogRecording.Into(logs));

        Assert.Equal(403, await TestWebSocket.GetUpgradeStatusAsync(host.SocketUri(), options =>
        {
            options.AddSubProtocol("phoenix");
            options.AddSubProtocol($"base64url.bearer.phx.{encoded}");
        }));
        Assert.Empty(logs.WarningsOrAbove);
        Assert.Contains(logs.Entries, entry => entry is { EventName: "AuthTokenMalformed", Level: LogLevel.Debug });
    }

    [Fact]
    public async Task JoinTopicOverMaxTopicLength_RepliesTopicTooLong_SocketAndOthersGoOn()
    {
        await using var host = await PushExTestHost.StartAsync(options => options.MaxTopicLength = 8);
        await using var client = await TestWebSocket.ConnectAsync(host.SocketUri());
        await using var other = await TestWebSocket.ConnectAsync(host.SocketUri());

        await client.SendTextAsync("""["1","1","123456789","phx_join",{}]""");

        Assert.Equal("""["1","1","123456789","phx_reply",{"status":"error","response":{"reason":"topic too long"}}]""", await client.ReceiveTextAsync());
        await client.SendTextAsync("""[null,"2","phoenix","heartbeat",{}]""");
        Assert.Equal($"""[null,"2","phoenix","phx_reply",{OkReply}]""", await client.ReceiveTextAsync());
        await other.SendTextAsync("""["1","1","12345678","phx_join",{}]""");
        Assert.Equal($"""["1","1","12345678","phx_reply",{OkReply}]""", await other.ReceiveTextAsync());
    }
}
