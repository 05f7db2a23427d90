namespace PushEx.Sockets;

/// <summary>
/// The close codes PushEx sends. Only <see cref="NormalClosure"/> keeps phoenix.js from reconnecting
/// (PROTOCOL.md §4.4), so every server-initiated close that a client should recover from uses another code.
/// </summary>
internal enum SocketCloseCode
{
    /// <summary>1000: the client asked to close; phoenix.js does not reconnect after it.</summary>
    NormalClosure = 1000,

    /// <summary>1001: idle timeout, or the app disconnected the socket id.</summary>
    GoingAway = 1001,

    /// <summary>1002: a frame that does not follow the protocol.</summary>
    ProtocolError = 1002,

    /// <summary>1007: a text message that is not UTF-8.</summary>
    InvalidPayloadData = 1007,

    /// <summary>1008: the client broke a limit (PushEx:MaxFramesPerSecond); phoenix.js reconnects after its backoff.</summary>
    PolicyViolation = 1008,

    /// <summary>1009: a frame over the size limit.</summary>
    MessageTooBig = 1009,

    /// <summary>1011: the server failed unexpectedly.</summary>
    InternalError = 1011,

    /// <summary>1012: the server is restarting; reconnect (to another node).</summary>
    ServiceRestart = 1012,

    /// <summary>1013: the client read too slowly and its send queue overflowed; reconnect later.</summary>
    TryAgainLater = 1013,

    /// <summary>
    /// 4001: the expiry the app gave with <see cref="ConnectResult.Ok(DateTimeOffset)"/> passed; reconnect with fresh
    /// credentials. An application code (4000 + HTTP 401) rather than 1008, which means a broken policy, not a
    /// token that merely aged; phoenix.js and pushex.js reconnect after it as after any code but a clean 1000.
    /// </summary>
    TokenExpired = 4001,
}
