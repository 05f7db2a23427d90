namespace PushEx;

/// <summary>
/// The socket rebalancer (<c>PushEx:Rebalance</c>), for clusters (Redis). After a rolling deploy or a scale-out the
/// node started last holds few sockets while the others are full. With the rebalancer on, every node shares its socket
/// count through Redis each <see cref="Interval"/>; a node holding more than the cluster's average by more than
/// <see cref="Tolerance"/> closes its excess (down to the average) with 1012, at most <see cref="MaxClosesPerSecond"/>,
/// spread over the interval, so those clients reconnect through the load balancer to emptier nodes.
/// </summary>
public sealed class RebalanceOptions
{
    /// <summary>Turns the rebalancer on. It needs the Redis backplane (<c>AddRedis</c>). Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>How often a node reports its socket count and compares it with the others'. Default 5 seconds.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The fraction above the cluster's average a node may hold before it sheds sockets: with 0.10, a node sheds when
    /// it holds more than 110 % of the average. Default 0.10.
    /// </summary>
    public double Tolerance { get; set; } = 0.10;

    /// <summary>
    /// The most sockets one node closes per second to rebalance; a round closes at most this times
    /// <see cref="Interval"/>, spread over the interval. Default 50.
    /// </summary>
    public int MaxClosesPerSecond { get; set; } = 50;
}
