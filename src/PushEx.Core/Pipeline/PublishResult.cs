namespace PushEx.Pipeline;

/// <summary>What became of a push handed to <see cref="IPushPublisher"/>.</summary>
public enum PublishResult
{
    /// <summary>The push is in the pipeline and will be delivered to whoever listens.</summary>
    Accepted,

    /// <summary>
    /// Refused, not dropped: the pipeline already holds <see cref="PushExOptions.ProducerMaxBuffer"/> pushes.
    /// Retry shortly (the HTTP API answers 503 with <c>Retry-After</c>).
    /// </summary>
    BufferFull,

    /// <summary>
    /// Refused: the cluster backplane (Redis) is unreachable, so the push could not reach other nodes. Retry
    /// shortly (the HTTP API answers 503).
    /// </summary>
    BackplaneUnavailable,

    /// <summary>
    /// Refused: this node is shutting down. Its drain has disconnected the sockets and now only finishes the pushes it
    /// accepted before. Send the push to another node (the HTTP API answers 503 with <c>Retry-After</c>).
    /// </summary>
    ShuttingDown,
}
