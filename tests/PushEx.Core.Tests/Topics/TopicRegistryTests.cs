using System.Runtime.CompilerServices;
using PushEx.Tests.Infrastructure;
using PushEx.Topics;

namespace PushEx.Tests.Topics;

public sealed class TopicRegistryTests
{
    private readonly SocketHarness _node = new();
    private readonly TopicRegistry _registry = new();

    [Fact]
    public void Add_FirstSubscription_CountsAndRunsCallbackOnce()
    {
        var subscription = Subscribe("t", "1");
        var calls = new StrongBox<int>();

        _registry.Add(subscription, static box => box.Value++, calls);

        Assert.Equal(1, calls.Value);
        Assert.Equal(1, _registry.ChannelCount);
        Assert.Equal(1, _registry.TopicCount);
        Assert.True(_registry.HasSubscribers("t"));
        Assert.False(_registry.HasSubscribers("other"));
    }

    [Fact]
    public void Add_Callback_SeesTheSubscriptionAlreadyAdded()
    {
        // The join reply is queued while the subscription is in place and the topic is locked (§5 ordering).
        var subscription = Subscribe("t", "1");
        var seen = -1;

        _registry.Add(subscription, registry => seen = registry.ForEach("t", static (_, _) => { }, 0), _registry);

        Assert.Equal(1, seen);
    }

    [Fact]
    public void Add_TwoSubscriptionsOnOneTopic_OneTopicTwoChannels()
    {
        Add(Subscribe("t", "1"));
        Add(Subscribe("t", "2"));
        Add(Subscribe("u", "3"));

        Assert.Equal(3, _registry.ChannelCount);
        Assert.Equal(2, _registry.TopicCount);
    }

    [Fact]
    public void ForEach_Topic_VisitsExactlyItsSubscriptions()
    {
        var a = Subscribe("t", "1");
        var b = Subscribe("t", "2");
        Add(a);
        Add(b);
        Add(Subscribe("u", "3"));
        var visited = new List<Subscription>();

        var count = _registry.ForEach("t", static (subscription, list) => list.Add(subscription), visited);

        Assert.Equal(2, count);
        Assert.Equal(new HashSet<Subscription> { a, b }, visited.ToHashSet());
    }

    [Fact]
    public void ForEach_UnknownTopic_ReturnsZeroWithoutVisiting()
    {
        var visited = 0;

        var count = _registry.ForEach("nobody", (_, _) => visited++, 0);

        Assert.Equal(0, count);
        Assert.Equal(0, visited);
    }

    [Fact]
    public void Remove_OneOfTwo_TopicKept()
    {
        var a = Subscribe("t", "1");
        Add(a);
        Add(Subscribe("t", "2"));

        Assert.True(_registry.Remove(a));

        Assert.Equal(1, _registry.ChannelCount);
        Assert.True(_registry.HasSubscribers("t"));
        Assert.Equal(1, _registry.ForEach("t", static (_, _) => { }, 0));
    }

    [Fact]
    public void Remove_LastSubscription_TopicForgotten()
    {
        var a = Subscribe("t", "1");
        Add(a);

        Assert.True(_registry.Remove(a));

        Assert.Equal(0, _registry.ChannelCount);
        Assert.Equal(0, _registry.TopicCount);
        Assert.False(_registry.HasSubscribers("t"));
    }

    [Fact]
    public void Remove_Twice_SecondReturnsFalseAndCountStays()
    {
        var a = Subscribe("t", "1");
        Add(a);
        Add(Subscribe("t", "2"));
        _registry.Remove(a);

        Assert.False(_registry.Remove(a));

        Assert.Equal(1, _registry.ChannelCount);
    }

    [Fact]
    public void Remove_NeverAdded_ReturnsFalse()
    {
        Add(Subscribe("t", "1"));

        Assert.False(_registry.Remove(Subscribe("t", "1")));
        Assert.False(_registry.Remove(Subscribe("u", "1")));
        Assert.Equal(1, _registry.ChannelCount);
    }

    [Fact]
    public void Add_AfterTopicForgotten_TopicComesBack()
    {
        var a = Subscribe("t", "1");
        Add(a);
        _registry.Remove(a);

        Add(Subscribe("t", "2"));

        Assert.True(_registry.HasSubscribers("t"));
        Assert.Equal(1, _registry.ChannelCount);
        Assert.Equal(1, _registry.TopicCount);
    }

    [Fact]
    public void Snapshot_ReturnsEverySubscription()
    {
        var a = Subscribe("t", "1");
        var b = Subscribe("t", "2");
        var c = Subscribe("u", "3");
        Add(a);
        Add(b);
        Add(c);

        Assert.Equal(new HashSet<Subscription> { a, b, c }, _registry.Snapshot().ToHashSet());
    }

    [Fact]
    public void Topics_CompareOrdinally()
    {
        Add(Subscribe("Room", "1"));

        Assert.False(_registry.HasSubscribers("room"));
    }

    [Fact]
    public async Task AddAndRemove_ConcurrentlyOnOneTopic_CountsEndAtZero()
    {
        const int Workers = 8;
        const int Rounds = 500;
        var sockets = Enumerable.Range(0, Workers).Select(_ => _node.Connect().Socket).ToArray();

        await Task.WhenAll(sockets.Select(socket => Task.Run(
            () =>
            {
                for (var i = 0; i < Rounds; i++)
                {
                    var subscription = new Subscription(socket, "hot", "1", ReadOnlyMemory<byte>.Empty, DateTimeOffset.UnixEpoch);
                    _registry.Add(subscription, static _ => { }, 0);
                    Assert.True(_registry.HasSubscribers("hot"));
                    Assert.True(_registry.Remove(subscription));
                }
            },
            TestContext.Current.CancellationToken)));

        Assert.Equal(0, _registry.ChannelCount);
        Assert.Equal(0, _registry.TopicCount);
        Assert.False(_registry.HasSubscribers("hot"));
    }

    private Subscription Subscribe(string topic, string? joinRef) =>
        new(_node.Connect().Socket, topic, joinRef, ReadOnlyMemory<byte>.Empty, _node.Time.GetUtcNow());

    private void Add(Subscription subscription) => _registry.Add(subscription, static _ => { }, 0);
}
