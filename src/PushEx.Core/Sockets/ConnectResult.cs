namespace PushEx.Sockets;

/// <summary>The answer of <see cref="ISocketHandler.ConnectAsync"/>.</summary>
public sealed class ConnectResult
{
    private static readonly ConnectResult Accepted = new(true, expiresAt: null);
    private static readonly ConnectResult Refused = new(false, expiresAt: null);

    private ConnectResult(bool isAccepted, DateTimeOffset? expiresAt)
    {
        IsAccepted = isAccepted;
        ExpiresAt = expiresAt;
    }

    /// <summary>True when the socket may open.</summary>
    public bool IsAccepted { get; }

    /// <summary>
    /// When the socket must close because the credentials it connected with expire, or null (the default) for a socket
    /// that lives until the client or the server ends it.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>The connection may open, and stays open until the client or the server ends it.</summary>
    public static ConnectResult Ok() => Accepted;

    /// <summary>
    /// The connection may open until <paramref name="expiresAt"/> (a token's <c>exp</c>, say). Then PushEx closes it with
    /// 4001 and the reason <c>token expired</c>, after which phoenix.js and pushex.js reconnect by themselves, so the
    /// client comes back with fresh credentials. The close comes within a second after <paramref name="expiresAt"/>
    /// (sockets are checked on a shared sweep, not one timer each). An expiry already past refuses the connection
    /// with HTTP 403, as <see cref="Error"/> does.
    /// </summary>
    public static ConnectResult Ok(DateTimeOffset expiresAt) => new(true, expiresAt);

    /// <summary>The connection is refused with HTTP 403 and an empty body, as Phoenix does.</summary>
    public static ConnectResult Error() => Refused;
}
