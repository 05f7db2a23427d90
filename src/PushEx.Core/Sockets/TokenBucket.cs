namespace PushEx.Sockets;

/// <summary>
/// A token bucket: holds up to a burst of tokens, refills at a steady rate, and each event takes one. There is no
/// timer: the refill is worked out from the time elapsed whenever a token is asked for, so an idle socket's bucket
/// costs nothing. The rate and burst come in with each call (they are the node's options), so a socket pays 16 bytes
/// per bucket. Not thread-safe: a socket's frames are handled one at a time. A mutable struct, so keep it in a field
/// that is not readonly and never copy it.
/// </summary>
internal struct TokenBucket
{
    private double _tokens;
    private long _refilledAt;

    /// <summary>A bucket holding its whole burst, as a socket's is when it opens.</summary>
    public static TokenBucket Full(int burst, long timestamp) => new() { _tokens = burst, _refilledAt = timestamp };

    /// <summary>
    /// Takes a token if there is one; false when the bucket is empty. Always true when <paramref name="perSecond"/> is
    /// 0 (no limit).
    /// </summary>
    public bool TryTake(int perSecond, int burst, TimeProvider timeProvider)
    {
        if (perSecond <= 0)
        {
            return true;
        }

        var now = timeProvider.GetTimestamp();
        var refill = timeProvider.GetElapsedTime(_refilledAt, now).TotalSeconds * perSecond;
        _tokens = Math.Min(burst, _tokens + refill);
        _refilledAt = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }
}
