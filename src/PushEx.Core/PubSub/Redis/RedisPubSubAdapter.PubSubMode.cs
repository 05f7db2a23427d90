using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

/// <summary>
/// Classic or sharded pub/sub for the topics' channels (<see cref="RedisOptions.PubSubMode"/>). In Auto mode it is
/// decided when the node first connects, before the backplane is reported available: no channel is subscribed or
/// published to before, so every Redis operation of the node uses one mode.
/// </summary>
internal sealed partial class RedisPubSubAdapter
{
    private void DecidePubSubMode()
    {
        lock (_lock)
        {
            if (_modeDecided)
            {
                return;
            }

            _modeDecided = true;
            var servers = _connection!.GetServers().Where(server => server.IsConnected).ToList();
            var cluster = servers.Any(server => server.ServerType == ServerType.Cluster);
            _cluster = cluster;
            if (_options.PubSubMode == RedisPubSubMode.Auto)
            {
                var sharded = cluster && servers.All(server => server.Features.ShardedPubSub);
                _channels = new RedisChannels(_options.ChannelPrefix, sharded);
                if (cluster && !sharded)
                {
                    Log.ClusterWithoutShardedPubSub(_logger);
                }
            }

            Log.PubSubModeDecided(_logger, _channels.Sharded ? RedisPubSubMode.Sharded : RedisPubSubMode.Standalone, _options.PubSubMode);
        }
    }
}
