using Microsoft.Extensions.Logging.Abstractions;
using PushEx.Sockets;
using PushEx.Tests.Infrastructure;

namespace PushEx.Tests.Sockets;

public sealed class SocketSweeperTests
{
    [Fact]
    public async Task Timer_SocketIdleForTheTimeout_ClosedWithGoingAway()
    {
        var node = new SocketHarness(options => options.IdleTimeout = TimeSpan.FromSeconds(4));
        using var sweeper = CreateSweeper(node);
        var client = node.Connect();

        node.Time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(client.Socket.IsClosing);
        node.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(client.Socket.IsClosing);
        var close = await client.Transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.GoingAway, close.Code);
        Assert.Equal("idle timeout", close.Reason);
    }

    [Fact]
    public void Timer_DefaultTimeoutOf45Seconds_ClosesAfter45Seconds()
    {
        var node = new SocketHarness();
        using var sweeper = CreateSweeper(node);
        var client = node.Connect();

        node.Time.Advance(TimeSpan.FromSeconds(44));
        Assert.False(client.Socket.IsClosing);
        node.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(client.Socket.IsClosing);
    }

    [Fact]
    public void Timer_MarkActivity_PostponesTheClose()
    {
        var node = new SocketHarness(options => options.IdleTimeout = TimeSpan.FromSeconds(4));
        using var sweeper = CreateSweeper(node);
        var client = node.Connect();
        node.Time.Advance(TimeSpan.FromSeconds(3));

        client.Socket.MarkActivity();
        node.Time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(client.Socket.IsClosing);
        node.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(client.Socket.IsClosing);
    }

    [Fact]
    public void Timer_HeartbeatsWellInsideTheTimeout_NeverClosed()
    {
        var node = new SocketHarness(options => options.IdleTimeout = TimeSpan.FromSeconds(4));
        using var sweeper = CreateSweeper(node);
        var client = node.Connect();

        for (var i = 0; i < 20; i++)
        {
            node.Time.Advance(TimeSpan.FromSeconds(2));
            client.Socket.MarkActivity();
        }

        Assert.False(client.Socket.IsClosing);
    }

    [Fact]
    public void Timer_ServerToClientTraffic_DoesNotCountAsActivity()
    {
        // PROTOCOL.md §7.3: only client-to-server traffic resets the idle timer.
        var node = new SocketHarness(options => options.IdleTimeout = TimeSpan.FromSeconds(4));
        using var sweeper = CreateSweeper(node);
        var client = node.Connect();
        node.Time.Advance(TimeSpan.FromSeconds(2));

        client.Socket.Send(new OutboundFrame("[null,null,\"t\",\"msg\",{}]"u8.ToArray(), isBinary: false));
        node.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.True(client.Socket.IsClosing);
    }

    [Fact]
    public async Task Timer_IdleSocketWhoseClientStoppedReading_DroppedAfterTheCloseWriteTimeout()
    {
        var node = new SocketHarness(options => options.IdleTimeout = TimeSpan.FromSeconds(4));
        using var sweeper = CreateSweeper(node);
        var client = node.Connect();
        var writing = client.Transport.StallWrites();
        client.Socket.Send(new OutboundFrame("[null,null,\"t\",\"msg\",{}]"u8.ToArray(), isBinary: false));
        await writing.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);

        node.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.True(client.Socket.IsClosing);
        node.Time.Advance(SocketOutbox.CloseWriteTimeout);

        // The sweeper skips a closing socket: only the close's own deadline can end it.
        await client.Transport.Aborted.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
        await client.Socket.Completion.WaitAsync(FakeSocketTransport.Timeout, TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Sweep_OnlyIdleSockets_Closed()
    {
        var node = new SocketHarness(options => options.IdleTimeout = TimeSpan.FromSeconds(4));
        using var sweeper = CreateSweeper(node, startTimer: false);
        var idle = node.Connect();
        node.Time.Advance(TimeSpan.FromSeconds(2));
        var fresh = node.Connect();
        node.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(1, sweeper.Sweep());

        Assert.True(idle.Socket.IsClosing);
        Assert.False(fresh.Socket.IsClosing);
    }

    [Fact]
    public async Task Sweep_SocketAlreadyClosing_NotCountedAgain()
    {
        var node = new SocketHarness(options => options.IdleTimeout = TimeSpan.FromSeconds(4));
        using var sweeper = CreateSweeper(node, startTimer: false);
        var first = node.Connect();
        var second = node.Connect();
        var protocolError = node.Connect();
        protocolError.Socket.Close(SocketCloseCode.ProtocolError, "malformed frame");
        // Written before the clock jumps: a close not written within SocketOutbox.CloseWriteTimeout is aborted instead.
        Assert.Equal(SocketCloseCode.ProtocolError, (await protocolError.Transport.WaitForCloseAsync()).Code);
        node.Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(2, sweeper.Sweep());
        Assert.Equal(0, sweeper.Sweep());

        Assert.Equal(SocketCloseCode.GoingAway, (await first.Transport.WaitForCloseAsync()).Code);
        Assert.Equal(SocketCloseCode.GoingAway, (await second.Transport.WaitForCloseAsync()).Code);
    }

    [Fact]
    public async Task Sweep_SocketUnregistered_NotVisited()
    {
        var node = new SocketHarness(options => options.IdleTimeout = TimeSpan.FromSeconds(4));
        using var sweeper = CreateSweeper(node, startTimer: false);
        var client = node.Connect();
        await client.Socket.OnClosedAsync();
        node.Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(0, sweeper.Sweep());
        Assert.False(client.Socket.IsClosing);
    }

    [Fact]
    public async Task Timer_ExpiryPasses_ClosedWithTokenExpired_WithinASecond_OtherSocketsUntouched()
    {
        var node = new SocketHarness(options => options.IdleTimeout = TimeSpan.FromMinutes(10));
        using var sweeper = CreateSweeper(node);
        var expiring = node.Connect(expiresAt: node.Time.GetUtcNow().AddSeconds(30.5));
        var later = node.Connect(expiresAt: node.Time.GetUtcNow().AddMinutes(5));
        var unbounded = node.Connect();

        node.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(expiring.Socket.IsClosing);
        // The sweep runs once a second: the close comes at the first sweep at or after the expiry.
        node.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(expiring.Socket.IsClosing);
        var close = await expiring.Transport.WaitForCloseAsync();
        Assert.Equal(SocketCloseCode.TokenExpired, close.Code);
        Assert.Equal(4001, (int)close.Code);
        Assert.Equal("token expired", close.Reason);
        Assert.False(later.Socket.IsClosing);
        Assert.False(unbounded.Socket.IsClosing);
    }

    [Fact]
    public async Task Sweep_ExpiredAndIdle_ClosedAsExpired_CountedOnce()
    {
        var node = new SocketHarness(options => options.IdleTimeout = TimeSpan.FromSeconds(4));
        using var sweeper = CreateSweeper(node, startTimer: false);
        var both = node.Connect(expiresAt: node.Time.GetUtcNow().AddSeconds(5));
        var idleOnly = node.Connect(expiresAt: node.Time.GetUtcNow().AddMinutes(5));
        node.Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(2, sweeper.Sweep());
        Assert.Equal(0, sweeper.Sweep());

        Assert.Equal(SocketCloseCode.TokenExpired, (await both.Transport.WaitForCloseAsync()).Code);
        Assert.Equal(SocketCloseCode.GoingAway, (await idleOnly.Transport.WaitForCloseAsync()).Code);
    }

    [Fact]
    public void Dispose_TimerStopped_NothingClosed()
    {
        var node = new SocketHarness(options => options.IdleTimeout = TimeSpan.FromSeconds(4));
        var sweeper = CreateSweeper(node);
        var client = node.Connect();

        sweeper.Dispose();
        node.Time.Advance(TimeSpan.FromSeconds(10));

        Assert.False(client.Socket.IsClosing);
    }

    private static SocketSweeper CreateSweeper(SocketHarness node, bool startTimer = true)
    {
        var sweeper = new SocketSweeper(
            node.Sockets,
            Microsoft.Extensions.Options.Options.Create(node.Options),
            node.Time,
            NullLogger<SocketSweeper>.Instance);
        // Tests that call Sweep themselves leave the timer off, so advancing the clock does not sweep first.
        if (startTimer)
        {
            sweeper.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        return sweeper;
    }
}
