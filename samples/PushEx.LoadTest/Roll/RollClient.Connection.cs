using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace PushEx.LoadTest.Roll;

/// <summary>One socket of a <see cref="RollClient"/>: its joins, its heartbeats and its receive loop.</summary>
internal sealed partial class RollClient
{
    private const int MaxMessageBytes = 1024 * 1024;
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RejoinAfterError = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaintenanceTick = TimeSpan.FromSeconds(1);

    private int _connections;
    private long _ref;

    // Opens a socket, joins every topic and reads until the socket ends; returns the server's close status, if any.
    private async Task<WebSocketCloseStatus?> RunConnectionAsync(Uri socketUri, SemaphoreSlim? gate, CancellationToken stop)
    {
        using var ws = new ClientWebSocket();
        // The client heartbeats itself, as phoenix.js does; no WebSocket pings.
        ws.Options.KeepAliveInterval = TimeSpan.Zero;
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
        {
            connectTimeout.CancelAfter(ConnectTimeout);
            if (gate is not null)
            {
                await gate.WaitAsync(stop).ConfigureAwait(false);
            }

            try
            {
                await ws.ConnectAsync(socketUri, connectTimeout.Token).ConfigureAwait(false);
            }
            finally
            {
                gate?.Release();
            }
        }

        var connection = new Connection(++_connections, _topicNames.Length);
        Opened(connection);
        using var connectionEnd = CancellationTokenSource.CreateLinkedTokenSource(stop);
        for (var topic = 0; topic < _topicNames.Length; topic++)
        {
            await SendJoinAsync(ws, connection, topic, stop).ConfigureAwait(false);
        }

        var maintenance = MaintainAsync(ws, connection, connectionEnd.Token);
        try
        {
            return await ReceiveAsync(ws, connection, stop).ConfigureAwait(false);
        }
        finally
        {
            await connectionEnd.CancelAsync().ConfigureAwait(false);
            await maintenance.ConfigureAwait(false);
        }
    }

    private async Task<WebSocketCloseStatus?> ReceiveAsync(ClientWebSocket ws, Connection connection, CancellationToken stop)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxMessageBytes)
                    {
                        throw new IOException($"A message over {MaxMessageBytes} bytes.");
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var result = await ws.ReceiveAsync(buffer.AsMemory(length), stop).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseQuietlyAsync(ws).ConfigureAwait(false);
                    return ws.CloseStatus;
                }

                length += result.Count;
                if (result.EndOfMessage)
                {
                    Handle(buffer.AsSpan(0, length), connection);
                    length = 0;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Handle(ReadOnlySpan<byte> message, Connection connection)
    {
        if (!RollFrame.TryParse(message, _topicNames, out var frame))
        {
            return;
        }

        lock (_lock)
        {
            if (frame.Topic < 0)
            {
                // The heartbeat's reply (topic "phoenix").
                connection.HeartbeatPending = frame.Event == RollFrame.Kind.Reply ? false : connection.HeartbeatPending;
                return;
            }

            var topic = frame.Topic;
            switch (frame.Event)
            {
                case RollFrame.Kind.Msg:
                    Receipts[topic].Record(frame.Seq, frame.Offset, frame.Epoch);
                    break;
                case RollFrame.Kind.Reply when frame.Ref == connection.JoinRefs[topic]:
                    if (frame.Ok)
                    {
                        connection.Joined[topic] = true;
                        Receipts[topic].Joined();
                        if (connection.AllJoined)
                        {
                            connection.WasAllJoined = true;
                            AllJoined();
                        }
                    }
                    else
                    {
                        connection.JoinSentAt[topic] = Stopwatch.GetTimestamp() - (long)((JoinTimeout - RejoinAfterError).TotalSeconds * Stopwatch.Frequency);
                    }

                    break;
                case RollFrame.Kind.Close or RollFrame.Kind.Error when connection.Joined[topic]:
                    // phoenix.js rejoins a channel that errored; so does this client, on its next maintenance tick.
                    ChannelErrors++;
                    connection.Joined[topic] = false;
                    connection.JoinSentAt[topic] = 0;
                    break;
                case RollFrame.Kind.Recovery:
                    if (frame.Recovered)
                    {
                        RecoveriesOk++;
                    }
                    else
                    {
                        RecoveriesFailed++;
                    }

                    break;
                default:
                    break;
            }
        }
    }

    // Every second: rejoin topics whose join failed or went unanswered, and heartbeat every HeartbeatInterval. A
    // heartbeat still unanswered when the next is due ends the connection, as phoenix.js does.
    private async Task MaintainAsync(ClientWebSocket ws, Connection connection, CancellationToken end)
    {
        using var timer = new PeriodicTimer(MaintenanceTick);
        var lastHeartbeat = Stopwatch.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(end).ConfigureAwait(false))
            {
                for (var topic = 0; topic < _topicNames.Length; topic++)
                {
                    bool due;
                    lock (_lock)
                    {
                        due = !connection.Joined[topic] && Stopwatch.GetElapsedTime(connection.JoinSentAt[topic]) >= JoinTimeout;
                    }

                    if (due)
                    {
                        await SendJoinAsync(ws, connection, topic, end).ConfigureAwait(false);
                    }
                }

                if (Stopwatch.GetElapsedTime(lastHeartbeat) < _settings.HeartbeatInterval)
                {
                    continue;
                }

                lock (_lock)
                {
                    if (connection.HeartbeatPending)
                    {
                        LastError = "heartbeat timeout";
                        ws.Abort();
                        return;
                    }

                    connection.HeartbeatPending = true;
                }

                lastHeartbeat = Stopwatch.GetTimestamp();
                var reference = Interlocked.Increment(ref _ref).ToString(CultureInfo.InvariantCulture);
                await ws.SendAsync(Encoding.UTF8.GetBytes($$"""[null,"{{reference}}","phoenix","heartbeat",{}]"""), WebSocketMessageType.Text, true, end).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The connection ended; the receive loop reports how.
        }
    }

    // ["5","5","user:42","phx_join",{}]: a join's ref is its join_ref, as phoenix.js sends it.
    private async Task SendJoinAsync(ClientWebSocket ws, Connection connection, int topic, CancellationToken cancellationToken)
    {
        var reference = Interlocked.Increment(ref _ref);
        lock (_lock)
        {
            connection.JoinRefs[topic] = reference;
            connection.JoinSentAt[topic] = Stopwatch.GetTimestamp();
        }

        var text = reference.ToString(CultureInfo.InvariantCulture);
        var name = JsonSerializer.Serialize(Encoding.UTF8.GetString(_topicNames[topic]));
        var frame = Encoding.UTF8.GetBytes($$"""["{{text}}","{{text}}",{{name}},"phx_join",{}]""");
        await ws.SendAsync(frame, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
    }

    private static async Task CloseQuietlyAsync(ClientWebSocket ws)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The server already went; the close was a courtesy.
        }
    }

    private sealed class Connection(int number, int topics)
    {
        public int Number { get; } = number;

        public long[] JoinRefs { get; } = new long[topics];

        public long[] JoinSentAt { get; } = new long[topics];

        public bool[] Joined { get; } = new bool[topics];

        public bool HeartbeatPending { get; set; }

        /// <summary>Every topic was joined at some point of this connection.</summary>
        public bool WasAllJoined { get; set; }

        public bool AllJoined => Array.TrueForAll(Joined, joined => joined);
    }
}
