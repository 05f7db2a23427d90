using PushEx.Sockets;

namespace PushEx.BenchServer;

/// <summary>Accepts every connection and every join: the baseline measures the push stack, not an app's rules.</summary>
internal sealed class AcceptAllSocketHandler : ISocketHandler
{
    public ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ConnectResult.Ok());

    public string? GetSocketId(IReadOnlyDictionary<string, object?> assigns) => null;

    public string GetPresenceIdentifier(IReadOnlyDictionary<string, object?> assigns) => "bench";

    public ValueTask<JoinResult> JoinAsync(JoinContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(JoinResult.Ok());
}
