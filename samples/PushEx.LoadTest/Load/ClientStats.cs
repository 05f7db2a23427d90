using PushEx.LoadTest.Metrics;

namespace PushEx.LoadTest.Load;

/// <summary>What every client of one worker process records: latencies and counts, updated lock-free.</summary>
internal sealed class ClientStats
{
    private long _received;
    private long _lastReceivedUnixMicros;
    private long _joinErrors;
    private long _disconnects;
    private long _countFromUnixMicros;
    private long _reconnects;
    private long _reconnectFailures;
    private long _sideRequests;
    private long _sideReplies;
    private long _sideErrors;

    /// <summary>TCP connect plus WebSocket upgrade.</summary>
    public LatencyHistogram Connect { get; } = new();

    /// <summary>Join sent to join answered.</summary>
    public LatencyHistogram Join { get; } = new();

    /// <summary>Publisher's timestamp to the client's receipt.</summary>
    public LatencyHistogram Push { get; } = new();

    public long Received => Volatile.Read(ref _received);

    public long LastReceivedUnixMicros => Volatile.Read(ref _lastReceivedUnixMicros);

    public long JoinErrors => Volatile.Read(ref _joinErrors);

    /// <summary>Connections the server ended (not counting the ones the worker aborted itself).</summary>
    public long Disconnects => Volatile.Read(ref _disconnects);

    /// <summary>Churned clients that connected and joined again.</summary>
    public long Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>Churned clients that had not joined again when their retries ran out.</summary>
    public long ReconnectFailures => Volatile.Read(ref _reconnectFailures);

    /// <summary>Side-topic joins and leaves sent.</summary>
    public long SideRequests => Volatile.Read(ref _sideRequests);

    /// <summary>Side-topic joins and leaves answered ok.</summary>
    public long SideReplies => Volatile.Read(ref _sideReplies);

    /// <summary>Side-topic joins and leaves answered with an error.</summary>
    public long SideErrors => Volatile.Read(ref _sideErrors);

    public void RecordPush(long sentUnixMicros)
    {
        // Pushes published before the last reset (a warm-up's stragglers) are not part of the run.
        if (sentUnixMicros < Volatile.Read(ref _countFromUnixMicros))
        {
            return;
        }

        var now = Clock.UnixMicros();
        Push.Record(now - sentUnixMicros);
        Interlocked.Increment(ref _received);
        Volatile.Write(ref _lastReceivedUnixMicros, now);
    }

    public void RecordJoinError() => Interlocked.Increment(ref _joinErrors);

    public void RecordDisconnect() => Interlocked.Increment(ref _disconnects);

    public void RecordReconnect(bool joined) => Interlocked.Increment(ref joined ? ref _reconnects : ref _reconnectFailures);

    public void RecordSideRequest() => Interlocked.Increment(ref _sideRequests);

    public void RecordSideReply(bool ok) => Interlocked.Increment(ref ok ? ref _sideReplies : ref _sideErrors);

    /// <summary>Forgets the pushes so far, and ignores from now on any push published before <paramref name="fromUnixMicros"/>.</summary>
    public void ResetPushes(long fromUnixMicros)
    {
        Volatile.Write(ref _countFromUnixMicros, fromUnixMicros);
        Push.Reset();
        Volatile.Write(ref _received, 0);
        Volatile.Write(ref _lastReceivedUnixMicros, 0);
    }
}
