using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PushEx.LoadTest.Wire;

namespace PushEx.LoadTest.Load;

/// <summary>
/// One simulated client: connects from its source address, joins its topic, records what it receives, and sends
/// keep-alives when asked. It reconnects only when told to (a storm); the previous connection's loop, if still
/// ending, can no longer touch its state.
/// </summary>
internal sealed class LoadClient(int index, string topic, IPEndPoint server, byte[] upgradeRequest, IPAddress? source, ClientProtocol protocol, ClientStats stats)
    : IMessageSink, IProtocolEvents
{
    private readonly Lock _lock = new();
    private WsConnection? _connection;
    private TaskCompletionSource<bool>? _joinReply;
    private bool _aborting;
    private string? _sideTopic;
    private int _busy;

    public int Index { get; } = index;

    public bool IsJoined { get; private set; }

    /// <summary>Claims the client for a churn or a side-topic change, so that two never overlap; false when it is taken.</summary>
    public bool TryClaim() => Interlocked.CompareExchange(ref _busy, 1, 0) == 0;

    public void Release() => Volatile.Write(ref _busy, 0);

    /// <summary>Connects and joins; true once the join was answered ok. Throws when the connection fails.</summary>
    public async Task<bool> ConnectAndJoinAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var connection = await WsConnection.ConnectAsync(server, source, upgradeRequest, cancellationToken).ConfigureAwait(false);
        stats.Connect.Record((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);

        var reply = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _connection = connection;
            _joinReply = reply;
            _aborting = false;
            _sideTopic = null;
            IsJoined = false;
        }

        _ = connection.RunReceiveLoopAsync(this);
        var joinStarted = Stopwatch.GetTimestamp();
        try
        {
            foreach (var frame in protocol.JoinFrames(topic))
            {
                await connection.SendTextAsync(frame, cancellationToken).ConfigureAwait(false);
            }

            var ok = await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            stats.Join.Record((long)Stopwatch.GetElapsedTime(joinStarted).TotalMicroseconds);
            if (!ok)
            {
                stats.RecordJoinError();
                connection.Abort();
            }

            return ok;
        }
        catch
        {
            connection.Abort();
            throw;
        }
    }

    /// <summary>Sends the protocol's keep-alive; a failure is left to the receive loop to notice.</summary>
    public void SendKeepAlive()
    {
        WsConnection? connection;
        lock (_lock)
        {
            connection = IsJoined ? _connection : null;
        }

        if (connection is not null)
        {
            _ = SendQuietlyAsync(connection, protocol.KeepAliveFrame);
        }
    }

    /// <summary>
    /// Leaves the side topic if the client is in one, else joins <paramref name="topic"/>: the soak's joins and leaves,
    /// next to the client's own topic. Nothing is sent when the client is not joined.
    /// </summary>
    public async Task ToggleSideTopicAsync(string topic)
    {
        WsConnection? connection;
        ReadOnlyMemory<byte> frame;
        lock (_lock)
        {
            connection = IsJoined ? _connection : null;
            if (connection is null)
            {
                return;
            }

            frame = protocol.SideFrame(_sideTopic ?? topic, join: _sideTopic is null);
            _sideTopic = _sideTopic is null ? topic : null;
        }

        stats.RecordSideRequest();
        await SendQuietlyAsync(connection, frame).ConfigureAwait(false);
    }

    /// <summary>Drops the connection at once (TCP reset), as a network failure or a crashed server would.</summary>
    public void Abort()
    {
        WsConnection? connection;
        lock (_lock)
        {
            connection = _connection;
            _aborting = true;
            IsJoined = false;
        }

        connection?.Abort();
    }

    void IMessageSink.OnMessage(ReadOnlySpan<byte> message) => protocol.Dispatch(message, this);

    void IMessageSink.OnClosed(WsConnection connection)
    {
        TaskCompletionSource<bool>? reply;
        lock (_lock)
        {
            if (!ReferenceEquals(connection, _connection))
            {
                return;
            }

            reply = _joinReply;
            if (IsJoined && !_aborting)
            {
                stats.RecordDisconnect();
            }

            IsJoined = false;
        }

        reply?.TrySetException(new IOException("The connection closed before the join was answered."));
    }

    void IProtocolEvents.OnJoinReply(bool ok)
    {
        TaskCompletionSource<bool>? reply;
        lock (_lock)
        {
            IsJoined = ok;
            reply = _joinReply;
        }

        reply?.TrySetResult(ok);
    }

    void IProtocolEvents.OnPush(long sentUnixMicros) => stats.RecordPush(sentUnixMicros);

    void IProtocolEvents.OnSideReply(bool ok) => stats.RecordSideReply(ok);

    private static async Task SendQuietlyAsync(WsConnection connection, ReadOnlyMemory<byte> frame)
    {
        try
        {
            await connection.SendTextAsync(frame).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The receive loop sees the same failure and records it.
        }
    }
}
