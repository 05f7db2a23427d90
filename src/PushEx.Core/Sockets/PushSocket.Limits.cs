using PushEx.Protocol;

namespace PushEx.Sockets;

/// <summary>The rate limits one socket is held to: frames per second (PushEx:MaxFramesPerSecond) and joins per second (PushEx:MaxJoinsPerSecond).</summary>
internal sealed partial class PushSocket
{
    private static readonly byte[] TooManyJoins = """{"reason":"too many joins"}"""u8.ToArray();

    // Taken from only by the frame handler, which the transport never runs concurrently.
    private TokenBucket _frameBucket;
    private TokenBucket _joinBucket;
    private bool _joinsThrottled;

    private void FillRateLimits(long timestamp)
    {
        _frameBucket = TokenBucket.Full(_services.Options.FrameBurst, timestamp);
        _joinBucket = TokenBucket.Full(_services.Options.JoinBurst, timestamp);
    }

    // False once the client sent frames faster than the limit: the socket is then closed with 1008, as nothing a
    // client does by mistake comes near the limit and refusing frames one by one would still cost decoding each.
    private bool TakeFrameToken()
    {
        var options = _services.Options;
        if (_frameBucket.TryTake(options.MaxFramesPerSecond, options.FrameBurst, _services.TimeProvider))
        {
            return true;
        }

        Log.TooManyFrames(_services.SocketLogger, options.MaxFramesPerSecond, options.FrameBurst);
        _services.Metrics.LimitExceeded(nameof(PushExOptions.MaxFramesPerSecond));
        Close(SocketCloseCode.PolicyViolation, "too many frames");
        return false;
    }

    // False when the join is over the limit; it is then answered with an error and the socket goes on, so a client
    // that joins too eagerly keeps the channels it has and gets the rest by rejoining (phoenix.js does so by itself).
    private bool TakeJoinToken(ClientMessage message)
    {
        var options = _services.Options;
        if (_joinBucket.TryTake(options.MaxJoinsPerSecond, options.JoinBurst, _services.TimeProvider))
        {
            _joinsThrottled = false;
            return true;
        }

        if (!_joinsThrottled)
        {
            // Once per run of refused joins, so a storm writes one line even at Debug.
            _joinsThrottled = true;
            Log.TooManyJoins(_services.SocketLogger, options.MaxJoinsPerSecond, options.JoinBurst);
        }

        _services.Metrics.LimitExceeded(nameof(PushExOptions.MaxJoinsPerSecond));
        Reply(message, message.JoinRef, "error", TooManyJoins);
        return false;
    }
}
