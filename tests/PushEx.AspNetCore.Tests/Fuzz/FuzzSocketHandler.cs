using PushEx.Sockets;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// The app's rules for the fuzz server: every connect is accepted (so fuzzed frames reach the socket), <c>user=ID</c>
/// gives the socket an id (so the resume-position paths run too), and every join is accepted except
/// <c>forbidden</c>. Unlike <see cref="Infrastructure.TestSocketHandler"/> nothing here throws: an exception from the
/// app's own code is the app's to log, and the fuzzer asserts only on what client input alone causes.
/// </summary>
internal sealed class FuzzSocketHandler : ISocketHandler
{
    public ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context, CancellationToken cancellationToken)
    {
        if (context.GetParam("user") is { Length: > 0 } user)
        {
            context.Assigns["user"] = user;
        }

        return ValueTask.FromResult(ConnectResult.Ok());
    }

    public string? GetSocketId(IReadOnlyDictionary<string, object?> assigns) =>
        assigns.TryGetValue("user", out var user) ? $"user_socket:{user}" : null;

    public string GetPresenceIdentifier(IReadOnlyDictionary<string, object?> assigns) =>
        assigns.TryGetValue("user", out var user) ? (string)user! : "anonymous";

    public ValueTask<JoinResult> JoinAsync(JoinContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(context.Topic == "forbidden" ? JoinResult.Error("unauthorized") : JoinResult.Ok());
}
