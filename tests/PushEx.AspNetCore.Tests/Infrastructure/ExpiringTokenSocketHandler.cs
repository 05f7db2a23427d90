using System.Collections.Concurrent;
using System.Globalization;
using PushEx.Sockets;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A Socket behaviour whose credentials expire, for tests: <c>exp=MS</c> (Unix milliseconds, as a token's <c>exp</c>
/// would carry it) accepts the connect until then with <see cref="ConnectResult.Ok(DateTimeOffset)"/>, no <c>exp</c>
/// accepts it for good; <c>user=ID</c> names the socket <c>user_socket:ID</c>. Every connect's <c>token</c> parameter
/// is recorded, accepted or not, so a test sees which credentials each attempt carried. Every join is ok.
/// </summary>
public sealed class ExpiringTokenSocketHandler : ISocketHandler
{
    private readonly ConcurrentQueue<string?> _tokens = new();

    /// <summary>The <c>token</c> parameter of every connect, in order.</summary>
    public IReadOnlyCollection<string?> Tokens => _tokens;

    public ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context, CancellationToken cancellationToken)
    {
        _tokens.Enqueue(context.GetParam("token"));
        if (context.GetParam("user") is { } user)
        {
            context.Assigns["user"] = user;
        }

        return ValueTask.FromResult(context.GetParam("exp") is { } exp
            ? ConnectResult.Ok(DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(exp, CultureInfo.InvariantCulture)))
            : ConnectResult.Ok());
    }

    public string? GetSocketId(IReadOnlyDictionary<string, object?> assigns) =>
        assigns.TryGetValue("user", out var user) ? $"user_socket:{user}" : null;

    public string GetPresenceIdentifier(IReadOnlyDictionary<string, object?> assigns) =>
        assigns.TryGetValue("user", out var user) ? (string)user! : "anonymous";

    public ValueTask<JoinResult> JoinAsync(JoinContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(JoinResult.Ok());
}
