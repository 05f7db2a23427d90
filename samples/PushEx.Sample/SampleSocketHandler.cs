using PushEx.Sockets;

namespace PushEx.Sample;

/// <summary>
/// The sample's Socket behaviour: a socket needs a valid <c>token</c> and lives until it expires; <c>user:{id}</c> may be joined only by that
/// user; <c>public</c> and <c>room:{anything}</c> by anyone connected; every other topic is refused.
/// </summary>
public sealed class SampleSocketHandler(DemoTokens tokens) : ISocketHandler
{
    private const string UserKey = "user";

    public ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context, CancellationToken cancellationToken)
    {
        if (tokens.Validate(context.GetParam("token")) is not { } token)
        {
            return ValueTask.FromResult(ConnectResult.Error());
        }

        context.Assigns[UserKey] = token.User;

        // The socket lives no longer than its token: then it closes with 4001 and the client reconnects with a new one.
        return ValueTask.FromResult(ConnectResult.Ok(token.ExpiresAt));
    }

    public string? GetSocketId(IReadOnlyDictionary<string, object?> assigns) => $"user_socket:{assigns[UserKey]}";

    public string GetPresenceIdentifier(IReadOnlyDictionary<string, object?> assigns) => (string)assigns[UserKey]!;

    public ValueTask<JoinResult> JoinAsync(JoinContext context, CancellationToken cancellationToken)
    {
        var user = (string)context.Assigns[UserKey]!;
        var allowed = context.Topic == "public"
            || context.Topic.StartsWith("room:", StringComparison.Ordinal)
            || context.Topic == $"user:{user}";
        return ValueTask.FromResult(allowed ? JoinResult.Ok() : JoinResult.Error("unauthorized"));
    }
}
