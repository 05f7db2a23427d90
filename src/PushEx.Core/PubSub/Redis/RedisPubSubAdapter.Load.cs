using System.Globalization;
using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

/// <summary>
/// The nodes' socket counts (<see cref="IClusterLoad"/>), for the rebalancer: one hash, <see cref="RedisChannels.Nodes"/>,
/// field = node id, value = <c>{sockets}:{unix ms when reported}</c>. Plain commands on the multiplexer's database,
/// independent of the subscriptions; a failure is logged once until the counts are shared again, and never thrown.
/// </summary>
/// <remarks>
/// The report time is the reporting node's clock, so the nodes' clocks must agree within the age a reader allows
/// (three rebalance intervals: 15 s by default), as NTP keeps them.
/// </remarks>
internal sealed partial class RedisPubSubAdapter : IClusterLoad
{
    private int _loadShareFailing;

    private string NodeField => _node.ToString("N");

    public async ValueTask<bool> ReportAsync(int sockets, CancellationToken cancellationToken)
    {
        if (!_available || _connection is null)
        {
            return false;
        }

        var reportedAt = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var value = string.Create(CultureInfo.InvariantCulture, $"{sockets}:{reportedAt}");
        try
        {
            await _connection.GetDatabase().HashSetAsync(_channels.Nodes, NodeField, value).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LoadShareFailed(ex);
            return false;
        }

        LoadShared();
        return true;
    }

    public async ValueTask<IReadOnlyList<NodeLoad>?> ReadOthersAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        if (!_available || _connection is null)
        {
            return null;
        }

        var database = _connection.GetDatabase();
        HashEntry[] entries;
        try
        {
            entries = await database.HashGetAllAsync(_channels.Nodes).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LoadShareFailed(ex);
            return null;
        }

        LoadShared();
        var oldest = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds() - (long)maxAge.TotalMilliseconds;
        var self = NodeField;
        var others = new List<NodeLoad>(entries.Length);
        List<RedisValue>? stale = null;
        foreach (var entry in entries)
        {
            var node = (string?)entry.Name;
            if (node is null || node == self)
            {
                continue;
            }

            if (TryParseLoad((string?)entry.Value, out var sockets, out var reportedAt) && reportedAt >= oldest)
            {
                others.Add(new NodeLoad(node, sockets));
            }
            else
            {
                (stale ??= []).Add(entry.Name);
            }
        }

        if (stale is not null)
        {
            // A node silent for that long is gone (crashed, or stopped before it could leave); nobody else removes it.
            _ = database.HashDeleteAsync(_channels.Nodes, [.. stale], CommandFlags.FireAndForget);
        }

        return others;
    }

    public async ValueTask LeaveAsync(CancellationToken cancellationToken)
    {
        if (!_available || _connection is null)
        {
            // Its entry goes stale and the other nodes remove it.
            return;
        }

        try
        {
            await _connection.GetDatabase().HashDeleteAsync(_channels.Nodes, NodeField).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LoadShareFailed(ex);
        }
    }

    private static bool TryParseLoad(string? value, out int sockets, out long reportedAt)
    {
        sockets = 0;
        reportedAt = 0;
        var separator = value?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        return separator > 0
            && int.TryParse(value.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out sockets)
            && long.TryParse(value.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out reportedAt);
    }

    private void LoadShareFailed(Exception exception)
    {
        if (Interlocked.Exchange(ref _loadShareFailing, 1) == 0)
        {
            Log.LoadNotShared(_logger, exception);
        }
    }

    private void LoadShared()
    {
        if (Interlocked.Exchange(ref _loadShareFailing, 0) != 0)
        {
            Log.LoadSharedAgain(_logger);
        }
    }
}
