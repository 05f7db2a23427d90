namespace PushEx.LoadTest.Workers;

/// <summary>One instruction from the coordinator to a worker process, sent as a JSON line on its standard input.</summary>
internal sealed record WorkerCommand
{
    /// <summary><c>connect</c>, <c>stats</c>, <c>reset</c>, <c>storm</c>, <c>churn</c>, <c>side</c> or <c>close</c>.</summary>
    public required string Command { get; init; }

    /// <summary>v2, v1 or signalr.</summary>
    public string Protocol { get; init; } = "v2";

    /// <summary>The servers, as host:port; client i uses node i mod count.</summary>
    public string[] Nodes { get; init; } = [];

    /// <summary>The loopback addresses the worker's sockets are bound to, round robin.</summary>
    public string[] SourceAddresses { get; init; } = [];

    public string TopicPrefix { get; init; } = "room:";

    /// <summary>Client i joins <c>prefix + (i mod Topics)</c>; 0 gives every client its own topic (<c>prefix + i</c>).</summary>
    public int Topics { get; init; } = 1;

    /// <summary>
    /// How many clients this worker opens, and the global index of its first. For <c>churn</c> and <c>side</c>: how many
    /// of its clients, picked at random, reconnect or join/leave a side topic.
    /// </summary>
    public int Count { get; init; }

    public int FirstIndex { get; init; }

    /// <summary>Connection attempts per second started by this worker; 0 for as fast as <see cref="Concurrency"/> allows.</summary>
    public double Rate { get; init; }

    /// <summary>Connect-and-join attempts in flight at once.</summary>
    public int Concurrency { get; init; } = 200;

    /// <summary>The bound on one connect-and-join, and for a storm on the whole reconnection.</summary>
    public int TimeoutSeconds { get; init; } = 30;

    /// <summary>For <c>side</c>: side topics are <c>side:0</c> … <c>side:(SideTopics - 1)</c>, picked at random.</summary>
    public int SideTopics { get; init; } = 1;

    /// <summary>For a storm: the Unix ms at which every worker drops its connections at once.</summary>
    public long AtUnixMs { get; init; }
}
