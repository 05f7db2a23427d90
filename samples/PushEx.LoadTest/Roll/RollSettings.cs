namespace PushEx.LoadTest.Roll;

/// <summary>
/// The <c>roll</c> scenario's parameters: clients of the sample server behind a load balancer, each joined to its own
/// <c>user:ID</c> topic and to the shared topics, and pushes at a steady rate to both kinds while the nodes are rolled.
/// </summary>
internal sealed record RollSettings
{
    /// <summary>The load balancer (or one node): sockets, tokens and pushes all go through it.</summary>
    public Uri Url { get; init; } = new("http://127.0.0.1:4000");

    /// <summary>Clients speaking raw V2 frames from this process. Default 1 000.</summary>
    public int Clients { get; init; } = 1_000;

    /// <summary>User ids are <c>{UserPrefix}{n}</c>, n from 1; npm clients continue the numbering. Default <c>roll-</c>.</summary>
    public string UserPrefix { get; init; } = "roll-";

    /// <summary>Every client joins each of these too. Default <c>room:shared</c>.</summary>
    public IReadOnlyList<string> SharedTopics { get; init; } = ["room:shared"];

    /// <summary>Pushes per second to user topics, round-robin over every client's topic. Default 200.</summary>
    public double Rate { get; init; } = 200;

    /// <summary>Pushes per second to each shared topic (each one reaches every client). Default 5.</summary>
    public double SharedRate { get; init; } = 5;

    /// <summary>Padding in each push's data, so the payload size can be varied. Default 16 bytes.</summary>
    public int PadBytes { get; init; } = 16;

    /// <summary>The push API's <c>Authorization</c> header. Default the sample's development key.</summary>
    public string Authorization { get; init; } = "Bearer dev-api-key";

    /// <summary>HAProxy's runtime API (a unix socket), for each node's sessions and peak connect rate; none by default.</summary>
    public string? HaproxySocket { get; init; }

    /// <summary>Opening sockets at once while connecting the clients at the start. Default 100.</summary>
    public int ConnectConcurrency { get; init; } = 100;

    /// <summary>How long the start waits for every client to be connected and joined before pushing anyway. Default 60 s.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A client's first reconnect delay after losing its connection (pushex.js waits 3 s; the later delays are
    /// pushex.js's 6, 10, 20 and 30 s). After a 1012 (a draining node) the delay is uniform in [0, this]; after any
    /// other close it is this × [0.5, 1.5]. Default 1 s.
    /// </summary>
    public TimeSpan FirstReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Heartbeat interval (phoenix.js and pushex.js: 30 s).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After pushing stops: the longest wait for every client to have every accepted push. Default 10 s.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Pushing stops after this even without a stop signal, which bounds what the clients record. Default 15 min.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Push requests in flight at once. Default 64.</summary>
    public int MaxInFlight { get; init; } = 64;

    /// <summary>Unmodified npm clients (tests/js/roll-client.mjs), split between pushex and phoenix. Default 0.</summary>
    public int NpmClients { get; init; }

    /// <summary>Called once every client has joined and the pushes begin: an in-process caller starts its roll then.</summary>
    public Action? PushingStarted { get; init; }

    /// <summary>The folder of tests/js/roll-client.mjs (with node_modules installed); found from the current folder by default.</summary>
    public string? NpmScriptDirectory { get; init; }
}
