using PushEx.History;

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

    /// <summary>The path of the HTTP push API (<c>POST</c>). Default <c>/api/push</c>.</summary>
    public string ApiPath { get; set; } = "/api/push";

    /// <summary>The largest request body the push API reads; a larger one is answered 413. Default 1 MiB.</summary>
    public int MaxApiBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The largest push, in bytes of its <c>"msg"</c> payload <c>{"data":…,"event":…}</c>: the data as given, the event
    /// (JSON-escaped), and 20 bytes more. A larger push is refused on every path: the push API answers 413 (one call
    /// to several channels counts once, and is refused whole), the in-process <c>IPushPublisher.TryPublish</c> throws
    /// <see cref="ArgumentException"/>. The bound exists because every subscriber's send queue must be able to
    /// hold a push: one larger than <see cref="SocketSendQueueLimit"/> would overflow every subscriber's queue at once and
    /// disconnect them all, so the queue limit must be at least this plus <see cref="MaxFrameBytes"/>. Default 256 KiB.
    /// </summary>
    public int MaxPushBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// The most pushes waiting in the pipeline. When it is full a push is refused (the API answers 503 with
    /// <c>Retry-After</c>, the in-process publisher returns <c>BufferFull</c>), never silently dropped. Default 50 000.
    /// </summary>
    public int ProducerMaxBuffer { get; set; } = 50_000;

    /// <summary>
    /// How many pushes are broadcast at once. Pushes are partitioned by topic, so one topic's pushes are delivered
    /// in the order they were accepted while different topics proceed in parallel. Default 10.
    /// </summary>
    public int ProducerMaxConcurrency { get; set; } = 10;

    /// <summary>Topics treated as always having listeners, so their pushes are always broadcast. Default empty.</summary>
    public ISet<string> UntrackedTopics { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Treat every topic as having listeners: every push is broadcast. Default false.</summary>
    public bool TrackerDisabled { get; set; }

    /// <summary>
    /// Closes every socket (code 1012, so phoenix.js and pushex.js reconnect, to another node behind the load
    /// balancer) when the host stops, after the pipeline has drained. Default false, as the original: the sockets are
    /// then left to the host's own shutdown, which drops them when its shutdown timeout ends (clients see 1006 and
    /// reconnect).
    /// </summary>
    public bool DisconnectSocketsOnShutdown { get; set; }

    /// <summary>
    /// Serves sockets on Kestrel's connection itself where the app wired PushEx into Kestrel
    /// (<c>builder.WebHost.UsePushExTransport()</c>) and the connection allows it (HTTP/1.1, TLS below PushEx). Default
    /// true; false serves every socket as an upgraded HTTP request, as without the wiring.
    /// </summary>
    public bool ServeSocketsOnConnection { get; set; } = true;

    /// <summary>
    /// The bound on each shutdown stage: draining the pushes accepted before the drain, disconnecting sockets, then the
    /// pushes accepted meanwhile. Default 10 seconds.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The time over which sockets are closed in batches on shutdown, so that clients do not all reconnect in the
    /// same instant. Must not exceed <see cref="ShutdownTimeout"/>. Default 5 seconds.
    /// </summary>
    public TimeSpan ShutdownDisconnectWindow { get; set; } = TimeSpan.FromSeconds(5);

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
    /// The longest topic, in UTF-8 bytes, a client may join or the push API may push to. A join of a longer topic is
    /// answered <c>{"reason":"topic too long"}</c> (the socket stays open); a push API call naming a longer channel is
    /// answered 422. Topics are keys of every node's registries and of the backplane, so a client must not choose their
    /// size. Default 256.
    /// </summary>
    public int MaxTopicLength { get; set; } = 256;

    /// <summary>
    /// The most channels one push API call may name (counted after de-duplication); a call naming more is answered 422,
    /// and nothing is pushed. One call fans out to every channel it names, so its cost must not be the caller's to
    /// choose. Default 1 000.
    /// </summary>
    public int MaxChannelsPerPush { get; set; } = 1000;

    /// <summary>
    /// The deepest nesting of arrays and objects a push API body may have, the body's own object and its
    /// <c>data</c> included (<c>{"data":[1]}</c> is 2 deep). A deeper body is answered 400 naming the limit, before the
    /// authorizer sees it, and nothing is pushed. The data goes to every subscriber's client, whose JSON parser may
    /// recurse; the default keeps what System.Text.Json accepts by default, so no body accepted before is refused now.
    /// Default 64.
    /// </summary>
    public int MaxApiBodyDepth { get; set; } = 64;

    /// <summary>
    /// The sustained rate of joins one socket may send, per second; 0 turns the limit off. A join over it is answered
    /// <c>{"reason":"too many joins"}</c> and does not reach the socket handler, the backplane or the history; the
    /// socket and its channels stay, and phoenix.js rejoins a refused channel by itself after its backoff. Joins are
    /// what cost a node most (the app's <c>JoinAsync</c>, a backplane subscription, a history read), so one socket
    /// must not choose how many it makes. Default 10 per second, with <see cref="JoinBurst"/>.
    /// </summary>
    public int MaxJoinsPerSecond { get; set; } = 10;

    /// <summary>
    /// How many joins a socket may send at once before <see cref="MaxJoinsPerSecond"/> applies: a client that
    /// reconnects rejoins all its channels in one go. Default 100, as <see cref="MaxChannelsPerSocket"/>.
    /// </summary>
    public int JoinBurst { get; set; } = 100;

    /// <summary>
    /// The sustained rate of frames (heartbeats, joins, leaves, anything) one socket may send, per second; 0 turns the
    /// limit off. A socket over it is closed with 1008 (policy violation, reason <c>too many frames</c>); phoenix.js
    /// and pushex.js reconnect after it with their backoff. A well-behaved client sends a heartbeat every 30 seconds
    /// and a join or leave now and then, so it never comes near. Default 100 per second, with <see cref="FrameBurst"/>.
    /// </summary>
    public int MaxFramesPerSecond { get; set; } = 100;

    /// <summary>
    /// How many frames a socket may send at once before <see cref="MaxFramesPerSecond"/> applies. Must be more than
    /// <see cref="MaxChannelsPerSocket"/>, so that a client rejoining all its channels after a reconnect (and sending a
    /// heartbeat) is never closed for it. Default 200.
    /// </summary>
    public int FrameBurst { get; set; } = 200;

    /// <summary>
    /// The most sockets open on this node with the same socket id (<c>ISocketHandler.GetSocketId</c>, e.g.
    /// <c>user_socket:42</c>); 0 turns the limit off, and sockets without an id are not counted. An upgrade over it is
    /// refused with 429 before the WebSocket is accepted, and the sockets already open stay: a thief of a token cannot
    /// push its owner's open sockets out, and no client is closed only to reconnect and close another in turn. The
    /// client retries with its backoff; a place held by a dead connection frees up by <see cref="IdleTimeout"/>.
    /// Counted per node: behind a load balancer the sockets of one id may reach the limit on each node. Default 100.
    /// </summary>
    public int MaxSocketsPerSocketId { get; set; } = 100;

    /// <summary>
    /// The most bytes waiting to be written to one socket. A client that reads slower than pushes arrive is
    /// disconnected (code 1013, so it reconnects) instead of being buffered without bound. Must be at least
    /// <see cref="MaxPushBytes"/> plus <see cref="MaxFrameBytes"/>, so that one push (with its topic and join ref) always
    /// fits. Default 1 MiB.
    /// </summary>
    public int SocketSendQueueLimit { get; set; } = 1024 * 1024;

    /// <summary>
    /// The origins allowed to open a socket (for example <c>https://app.example.com</c>, or <c>https://*.example.com</c>
    /// for the apex and every subdomain). Empty (the default) allows every origin. A request without an
    /// <c>Origin</c> header (a native or server client) is always allowed.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>The history of each topic, from which reconnecting clients recover what they missed.</summary>
    public HistoryOptions History { get; } = new();

    /// <summary>The socket rebalancer, which evens out socket counts across a cluster's nodes. Off by default.</summary>
    public RebalanceOptions Rebalance { get; } = new();
}
