using PushEx.Sockets;
using PushEx.Tests.Infrastructure;
using PushEx.Topics;

namespace PushEx.Tests.Sockets;

public sealed class JoinedChannelsTests
{
    private readonly SocketHarness _node = new();

    [Fact]
    public void OneChannel_FoundByItsTopicOnly()
    {
        var channels = new JoinedChannels();
        var a = Subscribe("a");

        channels.Set(a);

        Assert.Equal(1, channels.Count);
        Assert.True(channels.TryGetValue("a", out var found));
        Assert.Same(a, found);
        Assert.False(channels.TryGetValue("b", out _));
        Assert.Equal([a], channels.Snapshot());
    }

    [Fact]
    public void SameTopicAgain_ReplacesTheChannel()
    {
        var channels = new JoinedChannels();
        channels.Set(Subscribe("a"));
        var again = Subscribe("a");

        channels.Set(again);

        Assert.Equal(1, channels.Count);
        Assert.True(channels.TryGetValue("a", out var found));
        Assert.Same(again, found);
    }

    [Fact]
    public void SecondAndThirdChannels_AllKept_AndEachRemovedByItsTopic()
    {
        var channels = new JoinedChannels();
        var (a, b, c) = (Subscribe("a"), Subscribe("b"), Subscribe("c"));
        channels.Set(a);
        channels.Set(b);
        channels.Set(c);

        Assert.Equal(3, channels.Count);
        Assert.Equivalent(new[] { a, b, c }, channels.Snapshot());
        Assert.Same(b, channels.Remove("b"));
        Assert.Null(channels.Remove("b"));
        Assert.False(channels.TryGetValue("b", out _));
        Assert.True(channels.TryGetValue("c", out var found));
        Assert.Same(c, found);
        Assert.Equal(2, channels.Count);
    }

    [Fact]
    public void Remove_TheOnlyChannel_LeavesNone()
    {
        var channels = new JoinedChannels();
        var a = Subscribe("a");
        channels.Set(a);

        Assert.Null(channels.Remove("b"));
        Assert.Same(a, channels.Remove("a"));

        Assert.Equal(0, channels.Count);
        Assert.False(channels.TryGetValue("a", out _));
        Assert.Empty(channels.Snapshot());
    }

    private Subscription Subscribe(string topic) =>
        new(_node.Connect().Socket, topic, "1", ReadOnlyMemory<byte>.Empty, DateTimeOffset.UnixEpoch);
}
