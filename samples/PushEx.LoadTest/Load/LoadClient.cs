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

    public int Index { get; } = index;

    public bool IsJoined { get; private set; }

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
