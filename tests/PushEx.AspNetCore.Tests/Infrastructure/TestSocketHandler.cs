using PushEx.Sockets;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A Socket behaviour with fixed rules, for tests: a connect with <c>token=bad</c> is refused and <c>token=throw</c>
/// throws; <c>user=ID</c> assigns the user and names the socket <c>user_socket:ID</c>. Joins: <c>forbidden</c> is
/// refused with <c>unauthorized</c>, <c>crash</c> throws, <c>reply</c> answers <c>{"hello":"world"}</c>, anything else is ok.
/// </summary>
public sealed class TestSocketHandler : ISocketHandler
{
    private int _connectCalls;

    public int ConnectCalls => Volatile.Read(ref _connectCalls);

    public ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _connectCalls);
        var token = context.GetParam("token");
        if (token == "throw")
        {
            throw new InvalidOperationException("connect exploded");
        }

        if (token == "bad")
        {
            return ValueTask.FromResult(ConnectResult.Error());
        }

        if (context.GetParam("user") is { } user)
        {
            context.Assigns["user"] = user;
        }

        return ValueTask.FromResult(ConnectResult.Ok());
    }

    public string? GetSocketId(IReadOnlyDictionary<string, object?> assigns) =>
        assigns.TryGetValue("user", out var user) ? $"user_socket:{user}" : null;

    public string GetPresenceIdentifier(IReadOnlyDictionary<string, object?> assigns) =>
        assigns.TryGetValue("user", out var user) ? (string)user! : "anonymous";

    public ValueTask<JoinResult> JoinAsync(JoinContext context, CancellationToken cancellationToken) => context.Topic switch
    {
        "forbidden" => ValueTask.FromResult(JoinResult.Error("unauthorized")),
        "crash" => throw new InvalidOperationException("join exploded"),
        "reply" => ValueTask.FromResult(JoinResult.Ok(new { hello = "world" })),
        _ => ValueTask.FromResult(JoinResult.Ok()),
    };
}
