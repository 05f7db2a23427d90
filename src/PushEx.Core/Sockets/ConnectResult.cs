namespace PushEx.Sockets;

/// <summary>The answer of <see cref="ISocketHandler.ConnectAsync"/>.</summary>
public sealed class ConnectResult
{
    private static readonly ConnectResult Accepted = new(true);
    private static readonly ConnectResult Refused = new(false);

    private ConnectResult(bool isAccepted) => IsAccepted = isAccepted;

    /// <summary>True when the socket may open.</summary>
    public bool IsAccepted { get; }

    /// <summary>The connection may open.</summary>
    public static ConnectResult Ok() => Accepted;

    /// <summary>The connection is refused with HTTP 403 and an empty body, as Phoenix does.</summary>
    public static ConnectResult Error() => Refused;
}
