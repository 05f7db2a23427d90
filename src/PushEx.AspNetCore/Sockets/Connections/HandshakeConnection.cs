using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace PushEx.AspNetCore.Sockets.Connections;

/// <summary>
/// The connection as Kestrel's HTTP layer sees it while PushEx may still take it over. It is the real connection
/// until <see cref="ConnectionTakeover.Take"/>; from then on the HTTP layer reads an end of stream (so it finishes at
/// once, leaving the bytes after the handshake request unread), its response goes nowhere (PushEx writes its own
/// 101), and it can neither close nor abort the connection. What the HTTP layer registers on the connection stays on
/// this object, and the heartbeat it asks for is relayed only while it runs, so nothing of it outlives the
/// handshake.
/// </summary>
internal sealed class HandshakeConnection : ConnectionContext
{
    private readonly ConnectionContext _connection;
    private readonly ConnectionTakeover _takeover;
    private readonly HeartbeatRelay _heartbeat;

    public HandshakeConnection(ConnectionContext connection, ConnectionTakeover takeover)
    {
        _connection = connection;
        _takeover = takeover;
        _heartbeat = new HeartbeatRelay(connection.Features.Get<IConnectionHeartbeatFeature>());
        Features = new FeatureCollection(connection.Features);
        Features.Set<IConnectionHeartbeatFeature>(_heartbeat);
        Features.Set(takeover);
        Transport = new DuplexPipe(new HandshakeReader(connection.Transport.Input, takeover), new HandshakeWriter(connection.Transport.Output, takeover));
    }

    public override string ConnectionId
    {
        get => _connection.ConnectionId;
        set => _connection.ConnectionId = value;
    }

    public override IFeatureCollection Features { get; }

    public override IDictionary<object, object?> Items
    {
        get => _connection.Items;
        set => _connection.Items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed
    {
        get => _connection.ConnectionClosed;
        set => _connection.ConnectionClosed = value;
    }

    public override EndPoint? LocalEndPoint
    {
        get => _connection.LocalEndPoint;
        set => _connection.LocalEndPoint = value;
    }

    public override EndPoint? RemoteEndPoint
    {
        get => _connection.RemoteEndPoint;
        set => _connection.RemoteEndPoint = value;
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (!_takeover.IsTaken)
        {
            _connection.Abort(abortReason);
        }
    }

    /// <summary>Stops relaying the heartbeat, so that the connection no longer reaches the HTTP layer's objects.</summary>
    public void Detach() => _heartbeat.Detach();

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    // Kestrel's connection keeps every heartbeat callback for its whole life; this one forgets the HTTP layer's.
    private sealed class HeartbeatRelay : IConnectionHeartbeatFeature
    {
        private static readonly (Action<object> Action, object State)[] Detached = [];

        // Replaced whole on every change, never changed in place: a beat reads one consistent array without a lock.
        private (Action<object> Action, object State)[] _callbacks = [];

        public HeartbeatRelay(IConnectionHeartbeatFeature? connection) =>
            connection?.OnHeartbeat(static state => ((HeartbeatRelay)state).Beat(), this);

        public void OnHeartbeat(Action<object> action, object state)
        {
            while (true)
            {
                var current = Volatile.Read(ref _callbacks);
                if (ReferenceEquals(current, Detached)
                    || Interlocked.CompareExchange(ref _callbacks, [.. current, (action, state)], current) == current)
                {
                    return;
                }
            }
        }

        public void Detach() => Volatile.Write(ref _callbacks, Detached);

        private void Beat()
        {
            foreach (var (action, state) in Volatile.Read(ref _callbacks))
            {
                action(state);
            }
        }
    }
}
