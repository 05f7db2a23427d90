using System.Net;
using System.Threading.Channels;
using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

/// <summary>
/// On a Redis Cluster, which topics can be pushed to now. A master that this node cannot reach (it crashed and its
/// replica is not promoted yet) takes its slots with it: pushes to their topics are refused while the other shards carry
/// on, readiness reports the backplane degraded, and each change is logged once. While a slot is down the multiplexer
/// reads the cluster's view again every second, so the node sees the promotion without waiting for a push to be
/// redirected, and the subscriptions that failed meanwhile are made again at once.
/// </summary>
internal sealed partial class RedisPubSubAdapter
{
    private const int SlotCount = 16384;
    private static readonly TimeSpan ShardCheckInterval = TimeSpan.FromSeconds(1);

    private readonly Channel<bool> _shardCheckRequests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private Task _shardWatch = Task.CompletedTask;

    // Set once, when the pub/sub mode is decided: only a cluster has shards to watch.
    private volatile bool _cluster;

    // Null while every slot has a reachable master, so the push path reads one field; replaced whole, never changed.
    private volatile bool[]? _downSlots;

    // Read and written by the watch loop only.
    private HashSet<EndPoint> _downMasters = [];

    public bool IsDegraded => _downSlots is not null;

    public bool IsUnavailableFor(string topic) =>
        _downSlots is { } down && down[_connection!.HashSlot(_channels.SlotKey(topic))];

    private void RequestShardCheck()
    {
        if (_cluster)
        {
            _shardCheckRequests.Writer.TryWrite(true);
        }
    }

    private async Task WatchShardsAsync()
    {
        await foreach (var _ in _shardCheckRequests.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            // First from what the multiplexer knows, at once; then, while a slot is down, from the cluster's own view.
            TryCheckShards();
            while (_downSlots is not null && !_stopping.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(ShardCheckInterval, _timeProvider, _stopping.Token).ConfigureAwait(false);

                    // Reads CLUSTER NODES from every server: the multiplexer learns the promoted master and routes to it.
                    await _connection!.ConfigureAsync().ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
                {
                    Log.ShardCheckFailed(_logger, ex);
                }

                TryCheckShards();
            }
        }
    }

    private void TryCheckShards()
    {
        try
        {
            CheckShards();
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            // The multiplexer is closing, or lost the server it was asked about; the next change asks again.
            Log.ShardCheckFailed(_logger, ex);
        }
    }

    // Marks down every slot whose master is failed, or unreachable from here, as the cluster last told the multiplexer.
    private void CheckShards()
    {
        var connection = _connection!;
        var view = connection.GetServers().FirstOrDefault(server => server.IsConnected && server.ClusterConfiguration is not null);
        if (view is null)
        {
            // Nothing reachable: the backplane is unavailable as a whole, and a restored connection asks again.
            return;
        }

        var down = new bool[SlotCount];
        Array.Fill(down, true);
        var downMasters = new HashSet<EndPoint>();
        foreach (var node in view.ClusterConfiguration!.Nodes)
        {
            if (node.IsReplica || node.Slots.Count == 0)
            {
                continue;
            }

            // The server asked is "myself", by the address this node knows it by: a lone master that no other node has
            // met does not know its own (CLUSTER NODES gives ":port").
            var address = node.IsMyself ? view.EndPoint : node.EndPoint;
            var reachable = !node.IsFail && address is not null && IsConnected(connection, address);
            if (!reachable && address is not null)
            {
                downMasters.Add(address);
            }

            foreach (var range in node.Slots)
            {
                Array.Fill(down, !reachable, range.From, range.To - range.From + 1);
            }
        }

        var anyDown = Array.IndexOf(down, true) >= 0;
        var wasDegraded = _downSlots is not null;
        _downSlots = anyDown ? down : null;
        LogShardChanges(downMasters, anyDown, wasDegraded);
        _downMasters = downMasters;
        if (wasDegraded && !anyDown)
        {
            // Subscriptions that failed while their shard was down wait for a doubling retry delay; they need not.
            lock (_lock)
            {
                _retryDelay = MinRetryDelay;
            }

            RestoreSubscriptions();
        }
    }

    // A master the multiplexer has not met yet (the cluster grew) counts as unreachable until a reconfigure connects it.
    private static bool IsConnected(IConnectionMultiplexer connection, EndPoint endpoint)
    {
        try
        {
            return connection.GetServer(endpoint).IsConnected;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private void LogShardChanges(HashSet<EndPoint> downMasters, bool anyDown, bool wasDegraded)
    {
        foreach (var master in downMasters)
        {
            if (!_downMasters.Contains(master))
            {
                Log.ShardDown(_logger, master.ToString() ?? "");
            }
        }

        if (anyDown && downMasters.Count == 0 && !wasDegraded)
        {
            Log.SlotsUncovered(_logger);
        }

        if (!anyDown && wasDegraded)
        {
            Log.ShardsRestored(_logger);
        }
    }
}
