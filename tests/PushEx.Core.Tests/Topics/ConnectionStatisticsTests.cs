using PushEx.Tests.Infrastructure;
using PushEx.Topics;

namespace PushEx.Tests.Topics;

public sealed class ConnectionStatisticsTests
{
    private readonly SocketHarness _node = new();
    private readonly ConnectionStatistics _statistics;

    public ConnectionStatisticsTests() => _statistics = new ConnectionStatistics(_node.Sockets, _node.Topics);

    [Fact]
    public void Counts_IdleNode_Zero()
    {
        Assert.Equal(0, _statistics.SocketCount);
        Assert.Equal(0, _statistics.ChannelCount);
        Assert.Empty(_statistics.GetSockets());
        Assert.Empty(_statistics.GetChannels());
    }

    [Fact]
    public void GetSockets_OpenSockets_IdentifierSocketIdAndOnlineSince()
    {
        var firstAt = _node.Time.GetUtcNow();
        _node.Connect(socketId: "user_socket:u1", presenceIdentifier: "u1");
        _node.Time.Advance(TimeSpan.FromMinutes(1));
        _node.Connect(presenceIdentifier: "anonymous");

        Assert.Equal(2, _statistics.SocketCount);
        Assert.Equal(
            new HashSet<ConnectedSocket>
            {
                new("u1", "user_socket:u1", firstAt),
                new("anonymous", null, firstAt.AddMinutes(1)),
            },
            _statistics.GetSockets().ToHashSet());
    }

    [Fact]
    public async Task GetChannels_Joins_TopicIdentifierAndJoinTime()
    {
        var client = _node.Connect(presenceIdentifier: "u1");
        _node.Time.Advance(TimeSpan.FromSeconds(30));
        var joinedAt = _node.Time.GetUtcNow();
        await client.SendTextAsync("""["1","1","room:1","phx_join",{}]""");
        await client.SendTextAsync("""["2","2","room:2","phx_join",{}]""");

        Assert.Equal(2, _statistics.ChannelCount);
        Assert.Equal(
            new HashSet<JoinedChannel> { new("room:1", "u1", joinedAt), new("room:2", "u1", joinedAt) },
            _statistics.GetChannels().ToHashSet());
    }

    [Fact]
    public async Task Counts_LeaveAndClose_GoBackDown()
    {
        var client = _node.Connect(presenceIdentifier: "u1");
        var other = _node.Connect(presenceIdentifier: "u2");
        await client.SendTextAsync("""["1","1","a","phx_join",{}]""");
        await client.SendTextAsync("""["2","2","b","phx_join",{}]""");
        await other.SendTextAsync("""["1","1","a","phx_join",{}]""");
        Assert.Equal(3, _statistics.ChannelCount);

        await client.SendTextAsync("""["1","3","a","phx_leave",{}]""");
        Assert.Equal(2, _statistics.ChannelCount);
        await client.Socket.OnClosedAsync();

        Assert.Equal(1, _statistics.SocketCount);
        Assert.Equal(1, _statistics.ChannelCount);
        var channel = Assert.Single(_statistics.GetChannels());
        Assert.Equal(("a", "u2"), (channel.Topic, channel.Identifier));
        Assert.Equal("u2", Assert.Single(_statistics.GetSockets()).Identifier);
    }
}
