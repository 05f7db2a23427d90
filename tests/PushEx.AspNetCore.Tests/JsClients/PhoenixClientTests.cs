using System.Collections.Concurrent;
using System.Text.Json;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Sockets;

namespace PushEx.AspNetCore.Tests.JsClients;

/// <summary>The unmodified npm <c>phoenix</c> client (1.8.x, Node, <c>ws</c> as its transport) against a real server.</summary>
public sealed class PhoenixClientTests
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PhoenixJs_ConnectJoinHeartbeatLeave_RoundTrips()
    {
        var handler = new RecordingSocketHandler();
        await using var host = await PushExTestHost.StartAsync(handler: handler);
        var baseUrl = $"ws://{host.BaseAddress.Authority}/push_socket";

        var observed = await NodeScript.RunAsync("phoenix-roundtrip.mjs", [baseUrl], ScriptTimeout);

        Assert.StartsWith("1.8.", observed.GetProperty("phoenixClientVersion").GetString(), StringComparison.Ordinal);
        Assert.Equal($"{baseUrl}/websocket?token=ok&user=1&vsn=2.0.0", observed.GetProperty("endpoint").GetString());
        Assert.True(observed.GetProperty("opened").GetBoolean());
        Assert.Equal("""{"status":"ok","response":{}}""", observed.GetProperty("lobbyJoin").GetRawText());
        Assert.Equal("""{"status":"error","response":{"reason":"unauthorized"}}""", observed.GetProperty("forbiddenJoin").GetRawText());
        Assert.True(observed.GetProperty("heartbeatAcks").GetInt32() >= 2, $"Expected two heartbeat replies: {observed}");
        Assert.Equal("""{"status":"ok","response":{}}""", observed.GetProperty("leave").GetRawText());
        Assert.True(observed.GetProperty("disconnected").GetBoolean());
        // phoenix.js closes with 1000 on disconnect(); the server answers a client's close with the same code.
        Assert.Equal("[1000]", observed.GetProperty("closeCodes").GetRawText());
        Assert.Equal(0, observed.GetProperty("errors").GetArrayLength());

        // The server saw the client's params, and the assigns made from them reached the joins.
        var connect = Assert.Single(handler.ConnectParams);
        Assert.Equal("ok", connect.GetProperty("token").GetString());
        Assert.Equal("1", connect.GetProperty("user").GetString());
        Assert.Equal("2.0.0", connect.GetProperty("vsn").GetString());
        Assert.Equal(["room:lobby user_socket:1", "forbidden user_socket:1"], handler.Joins.Take(2));
    }

    /// <summary>The test host's rules, recording what the client sent.</summary>
    private sealed class RecordingSocketHandler : ISocketHandler
    {
        private readonly TestSocketHandler _rules = new();
        private readonly ConcurrentQueue<JsonElement> _connectParams = new();
        private readonly ConcurrentQueue<string> _joins = new();

        public IReadOnlyCollection<JsonElement> ConnectParams => _connectParams;

        /// <summary>Each join as <c>"{topic} {socket id}"</c>, in order.</summary>
        public IReadOnlyCollection<string> Joins => _joins;

        public ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context, CancellationToken cancellationToken)
        {
            _connectParams.Enqueue(context.Params.Clone());
            return _rules.ConnectAsync(context, cancellationToken);
        }

        public string? GetSocketId(IReadOnlyDictionary<string, object?> assigns) => _rules.GetSocketId(assigns);

        public string GetPresenceIdentifier(IReadOnlyDictionary<string, object?> assigns) => _rules.GetPresenceIdentifier(assigns);

        public ValueTask<JoinResult> JoinAsync(JoinContext context, CancellationToken cancellationToken)
        {
            _joins.Enqueue($"{context.Topic} {context.SocketId}");
            return _rules.JoinAsync(context, cancellationToken);
        }
    }
}
