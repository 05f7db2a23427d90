namespace PushEx.AspNetCore.Shutdown;

/// <summary>Set once the host begins stopping: readiness fails, upgrades get 503, API responses say <c>Connection: close</c>.</summary>
/// <remarks>
/// A socket checks the drain before the app's connect and the handshake, but registers only after them, while the
/// drain lists the registered sockets once. So a socket that opens as the drain begins checks again after registering:
/// its registration, then a full fence, then <see cref="IsDrainingAfterRegistration"/>; against that, <see cref="TryBegin"/>
/// (a full fence), then the drain's look at the registry. Whichever comes second sees the other, so the socket is in
/// the drain's list or sees the drain itself, never neither.
/// </remarks>
internal sealed class DrainState(TimeProvider timeProvider)
{
    private int _isDraining;
    private long _lastPushRequest;

    public bool IsDraining => Volatile.Read(ref _isDraining) != 0;

    /// <summary>Begins the drain; true for the one caller that began it.</summary>
    public bool TryBegin() => Interlocked.Exchange(ref _isDraining, 1) == 0;

    /// <summary>How long ago the last push API request arrived; null when none has.</summary>
    public TimeSpan? SinceLastPushRequest =>
        Volatile.Read(ref _lastPushRequest) is var last and not 0 ? timeProvider.GetElapsedTime(last) : null;

    /// <summary>Records a push API request: while the node drains, the load balancer still sends pushes here.</summary>
    public void PushRequestArrived() => Volatile.Write(ref _lastPushRequest, timeProvider.GetTimestamp());

    /// <summary>Whether the drain has begun, read after a full fence: call it once a socket has been registered.</summary>
    public bool IsDrainingAfterRegistration()
    {
        Interlocked.MemoryBarrier();
        return IsDraining;
    }
}
