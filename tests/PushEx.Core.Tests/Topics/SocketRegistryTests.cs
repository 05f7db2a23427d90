using PushEx.Sockets;
using PushEx.Tests.Infrastructure;

namespace PushEx.Tests.Topics;

public sealed partial class SocketRegistryTests
{
    private readonly SocketHarness _node = new();

    [Fact]
    public void Add_Sockets_CountedAndListed()
    {
        var a = _node.Connect(socketId: "a").Socket;
        var anonymous = _node.Connect().Socket;

        Assert.Equal(2, _node.Sockets.Count);
        Assert.Equal(new HashSet<PushSocket> { a, anonymous }, _node.Sockets.Sockets.ToHashSet());
    }

    [Fact]
    public void WithSocketId_ReturnsExactlyTheSocketsWithThatId()
    {
        var a1 = _node.Connect(socketId: "a").Socket;
        var a2 = _node.Connect(socketId: "a").Socket;
        var b1 = _node.Connect(socketId: "b").Socket;
        _node.Connect();

        Assert.Equal(new HashSet<PushSocket> { a1, a2 }, _node.Sockets.WithSocketId("a").ToHashSet());
        Assert.Equal([b1], _node.Sockets.WithSocketId("b"));
        Assert.Empty(_node.Sockets.WithSocketId("c"));
        Assert.Empty(_node.Sockets.WithSocketId("A"));
    }

    [Fact]
    public void Remove_OneOfTwoWithId_OtherRemains()
    {
        var a1 = _node.Connect(socketId: "a").Socket;
        var a2 = _node.Connect(socketId: "a").Socket;

        _node.Sockets.Remove(a1);

        Assert.Equal([a2], _node.Sockets.WithSocketId("a"));
        Assert.Equal(1, _node.Sockets.Count);
    }

    [Fact]
    public void Remove_LastWithId_GroupGoneAndComesBackOnAdd()
    {
        var a1 = _node.Connect(socketId: "a").Socket;
        _node.Sockets.Remove(a1);
        Assert.Empty(_node.Sockets.WithSocketId("a"));

        var a2 = _node.Connect(socketId: "a").Socket;

        Assert.Equal([a2], _node.Sockets.WithSocketId("a"));
    }

    [Fact]
    public void Remove_Twice_CountStays()
    {
        var a = _node.Connect(socketId: "a").Socket;
        var b = _node.Connect(socketId: "a").Socket;
        _node.Sockets.Remove(a);

        _node.Sockets.Remove(a);

        Assert.Equal(1, _node.Sockets.Count);
        Assert.Equal([b], _node.Sockets.WithSocketId("a"));
    }

    [Fact]
    public void Remove_AnonymousSocket_Uncounted()
    {
        var anonymous = _node.Connect().Socket;

        _node.Sockets.Remove(anonymous);

        Assert.Equal(0, _node.Sockets.Count);
        Assert.Empty(_node.Sockets.Sockets);
    }

    [Fact]
    public async Task CloseBySocketId_ClosesOnlyThatIdWithGoingAway()
    {
        // PROTOCOL.md §7.2 and §12 #46: every connection with the id, 1001 so clients come back, no frame first.
        var a1 = _node.Connect(socketId: "a");
        var a2 = _node.Connect(socketId: "a");
        var b = _node.Connect(socketId: "b");

        Assert.Equal(2, _node.Sockets.CloseBySocketId("a"));

        foreach (var client in new[] { a1, a2 })
        {
            var close = await client.Transport.WaitForCloseAsync();
            Assert.Equal(SocketCloseCode.GoingAway, close.Code);
            Assert.Equal(0, close.FramesBefore);
        }

        Assert.False(b.Socket.IsClosing);
        Assert.Equal(0, _node.Sockets.CloseBySocketId("nobody"));
    }

    [Fact]
    public async Task AddAndRemove_ConcurrentlyWithOneId_EndsEmpty()
    {
        var sockets = Enumerable.Range(0, 64).Select(_ => _node.Connect(socketId: "shared").Socket).ToArray();
        foreach (var socket in sockets)
        {
            _node.Sockets.Remove(socket);
        }

        await Task.WhenAll(sockets.Select(socket => Task.Run(
            () =>
            {
                for (var i = 0; i < 200; i++)
                {
                    _node.Sockets.Add(socket);
                    Assert.Contains(socket, _node.Sockets.WithSocketId("shared"));
                    _node.Sockets.Remove(socket);
                }
            },
            TestContext.Current.CancellationToken)));

        Assert.Equal(0, _node.Sockets.Count);
        Assert.Empty(_node.Sockets.WithSocketId("shared"));
    }
}
