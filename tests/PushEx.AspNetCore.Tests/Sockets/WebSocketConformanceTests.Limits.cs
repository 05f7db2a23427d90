using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Sockets;

/// <summary>
/// The message size limit (PushEx:MaxFrameBytes; Autobahn 9.x's sizes, scaled down): a message over it closes with
/// 1009, whole or in fragments, and a header that announces too much is refused before any payload comes.
/// </summary>
public sealed partial class WebSocketConformanceTests
{
    private const int Limit = WebSocketConformanceHosts.SmallFrameLimit;

    [Theory]
    [InlineData(Limit)]
    [InlineData(Limit / 4)]
    public async Task Text_AtTheLimit_IsAnswered(int fragmentBytes)
    {
        using var client = await OpenAsync(hosts.SmallFrames);
        await client.SendAsync(Fragmented(client, Heartbeat(size: Limit), fragmentBytes));
        await AssertHeartbeatReplyAsync(client);
    }

    [Theory]
    [InlineData(Limit + 1)]
    [InlineData(Limit / 2)]
    [InlineData(100)]
    public async Task Text_OverTheLimit_ClosesWith1009(int fragmentBytes)
    {
        using var client = await OpenAsync(hosts.SmallFrames);
        await client.SendAsync(Fragmented(client, Heartbeat(size: Limit + 1), fragmentBytes));
        // The server may refuse the frame at its header and never read its payload, so the end may be a reset.
        await AssertServerClosesAsync(client, MessageTooBig, endOfStream: false);
    }

    [Theory]
    [InlineData(Limit + 1UL)]
    [InlineData(65536UL)]
    [InlineData(1UL << 40)]
    public async Task FrameHeader_AnnouncingMoreThanTheLimit_ClosesWith1009WithoutThePayload(ulong declaredLength)
    {
        // Only the header is sent: a server that waited for the payload would never answer.
        using var client = await OpenAsync(hosts.SmallFrames);
        await client.SendAsync(client.Frame(Text, [], declaredLength: declaredLength));
        await AssertRefusedMidFrameAsync(client);
    }

    [Fact]
    public async Task ContinuationHeader_TakingTheMessageOverTheLimit_ClosesWith1009WithoutThePayload()
    {
        using var client = await OpenAsync(hosts.SmallFrames);
        var heartbeat = Heartbeat(size: Limit);
        await client.SendAsync((byte[])[.. client.Frame(Text, heartbeat.AsSpan(0, Limit - 10), fin: false), .. client.Frame(Continuation, [], declaredLength: 11)]);
        await AssertRefusedMidFrameAsync(client);
    }

    [Fact]
    public async Task Text_OfMegabytesInOneFrame_IsAnswered()
    {
        // Autobahn 9.1's sizes: the payload arrives over many reads and is taken as it comes.
        const int size = 4 * 1024 * 1024;
        await using var host = await PushExTestHost.StartAsync(options =>
        {
            options.MaxFrameBytes = 8 * 1024 * 1024;
            options.SocketSendQueueLimit = 16 * 1024 * 1024;
        });
        using var client = await RawWebSocket.ConnectAsync(host.SocketUri());

        await client.SendAsync(client.Frame(Text, Heartbeat(size: size)));

        await AssertHeartbeatReplyAsync(client);
    }

    // The server closed with 1009 while the client was mid-frame, so the client cannot answer with a close frame: it
    // ends its side instead, and the server must end the connection (cleanly or not) right after.
    private static async Task AssertRefusedMidFrameAsync(RawWebSocket client)
    {
        var frame = await client.ReceiveFrameAsync(TimeSpan.FromSeconds(5));
        Assert.True(frame is { Opcode: Close, Fin: true } && frame.CloseCode == MessageTooBig, $"Expected a close with 1009, got {frame}.");
        client.EndWrites();
        await client.ReceiveEndAsync();
    }
}
