using NSubstitute;
using PushEx.Sockets;

namespace PushEx.Tests.Sockets;

public sealed partial class PushSocketTests
{
    [Fact]
    public async Task HandleFrameAsync_Join_SubscribesTheBackplaneBeforeReplying()
    {
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _node.Backplane.SubscribeAsync("user-1", Arg.Any<CancellationToken>()).Returns(new ValueTask(subscribed.Task));
        var client = _node.Connect();

        var handling = client.Socket.HandleFrameAsync("""["3","3","user-1","phx_join",{}]"""u8.ToArray(), isBinary: false, CancellationToken.None).AsTask();

        // While the node is not yet listening on the backplane, the client is not told it has joined.
        Assert.False(handling.IsCompleted);
        Assert.Empty(client.Transport.Frames);
        subscribed.SetResult();
        await handling.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal([JoinOk3], await client.WaitForTextFramesAsync(1));
    }

    [Fact]
    public async Task HandleFrameAsync_RefusedJoin_NeverSubscribesTheBackplane()
    {
        _node.JoinReturns("user-1", JoinResult.Error("unauthorized"));
        var client = _node.Connect();

        await client.SendTextAsync("""["3","3","user-1","phx_join",{}]""");
        await client.WaitForTextFramesAsync(1);

        await _node.Backplane.DidNotReceive().SubscribeAsync(Arg.Any<string>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Subscriptions_LeaveDuplicateAndClose_EachReleaseTheBackplaneOnce()
    {
        var client = _node.Connect();
        await client.SendTextAsync("""["1","1","a","phx_join",{}]""");
        await client.SendTextAsync("""["2","2","b","phx_join",{}]""");
        await client.SendTextAsync("""["3","3","b","phx_join",{}]""");
        await client.SendTextAsync("""["1","4","a","phx_leave",{}]""");
        await client.WaitForTextFramesAsync(6);

        _node.Backplane.Received(1).Unsubscribe("a");
        _node.Backplane.Received(1).Unsubscribe("b");
        await client.Socket.OnClosedAsync();

        await _node.Backplane.Received(1).SubscribeAsync("a", Arg.Any<CancellationToken>());
        await _node.Backplane.Received(2).SubscribeAsync("b", Arg.Any<CancellationToken>());
        _node.Backplane.Received(2).Unsubscribe("b");
        _node.Backplane.Received(1).Unsubscribe("a");
    }
}
