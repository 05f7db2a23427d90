namespace PushEx.Tests.Topics;

/// <summary>Issue 15: the places PushEx:MaxSocketsPerSocketId allows each socket id, held before the upgrade.</summary>
public sealed partial class SocketRegistryTests
{
    [Fact]
    public void TryReserve_OpenAndReservedSocketsBothCount_OtherIdsUnaffected()
    {
        _node.Connect(socketId: "a");

        Assert.True(_node.Sockets.TryReserve("a", limit: 2));
        Assert.False(_node.Sockets.TryReserve("a", limit: 2));
        Assert.True(_node.Sockets.TryReserve("b", limit: 2));
    }

    [Fact]
    public void EndReservation_AfterTheSocketOpened_TheSocketHoldsThePlace()
    {
        Assert.True(_node.Sockets.TryReserve("a", limit: 1));
        var opened = _node.Connect(socketId: "a").Socket;
        _node.Sockets.EndReservation("a");

        Assert.False(_node.Sockets.TryReserve("a", limit: 1));
        _node.Sockets.Remove(opened);
        Assert.True(_node.Sockets.TryReserve("a", limit: 1));
    }

    [Fact]
    public void EndReservation_UpgradeFailed_PlaceFreedAndNothingLeftBehind()
    {
        Assert.True(_node.Sockets.TryReserve("a", limit: 1));

        _node.Sockets.EndReservation("a");

        Assert.True(_node.Sockets.TryReserve("a", limit: 1));
        _node.Sockets.EndReservation("a");
        Assert.Empty(_node.Sockets.WithSocketId("a"));
    }

    [Fact]
    public async Task TryReserve_ConcurrentUpgradesOfOneId_ExactlyTheLimitGetIn()
    {
        const int Limit = 10;
        using var start = new ManualResetEventSlim();
        var attempts = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            start.Wait(TestContext.Current.CancellationToken);
            var granted = 0;
            for (var i = 0; i < 1000; i++)
            {
                granted += _node.Sockets.TryReserve("a", Limit) ? 1 : 0;
            }

            return granted;
        })).ToArray();

        start.Set();
        var granted = await Task.WhenAll(attempts).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal(Limit, granted.Sum());
    }
}
