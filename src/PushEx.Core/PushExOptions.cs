namespace PushEx;

/// <summary>
/// Settings of PushEx, bound from the configuration section <c>PushEx</c> (so <c>PushEx__IdleTimeout=00:00:05</c>
/// works from the environment) and validated when the host starts.
/// </summary>
public sealed class PushExOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "PushEx";

    /// <summary>The socket's base path; the WebSocket transport lives at <c>{SocketPath}/websocket</c>. Default <c>/push_socket</c>.</summary>
    public string SocketPath { get; set; } = "/push_socket";

    /// <summary>
    /// Closes a socket that has sent nothing (no frame, no ping) for this long. Only client-to-server traffic
    /// counts; the close code (1001) makes phoenix.js reconnect. Default 45 seconds, as the original; keep it
    /// well above the clients' heartbeat interval (30 seconds for phoenix.js).
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>The largest client frame accepted; a larger one closes the socket with 1009. Default 64 KiB.</summary>
    public int MaxFrameBytes { get; set; } = 64 * 1024;

    /// <summary>The most topics one socket may join; a further join is answered <c>too many channels joined</c>. Default 100, as Phoenix 1.8.</summary>
    public int MaxChannelsPerSocket { get; set; } = 100;

    /// <summary>
    /// The most bytes waiting to be written to one socket. A client that reads slower than pushes arrive is
    /// disconnected (code 1013, so it reconnects) instead of being buffered without bound. Default 1 MiB.
    /// </summary>
    public int SocketSendQueueLimit { get; set; } = 1024 * 1024;

    /// <summary>
    /// The origins allowed to open a socket (for example <c>https://app.example.com</c>, or <c>https://*.example.com</c>
    /// for the apex and every subdomain). Empty (the default) allows every origin. A request without an
    /// <c>Origin</c> header (a native or server client) is always allowed.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];
}
