using PushEx.Pipeline;
using StackExchange.Redis;

namespace PushEx.PubSub.Redis;

/// <summary>Publishing pushes and disconnects, and handling what other nodes publish.</summary>
internal sealed partial class RedisPubSubAdapter
{
    private static readonly TimeSpan PublishRetryInterval = TimeSpan.FromMilliseconds(250);

    public async ValueTask<bool> PublishAsync(Push push, CancellationToken cancellationToken)
    {
        var local = _broadcaster.Broadcast(push);
        var message = RedisMessage.EncodePush(_node, push.Event, push.Data.Span, push.UnixMsAcceptedAt);
        var receivers = await PublishWithRetryAsync(_channels.Topic(push.Channel), message, push.UnixMsAcceptedAt, cancellationToken).ConfigureAwait(false);

        // Redis counts this node among the receivers while it is subscribed to the topic itself.
        return local > 0 || receivers > (IsSubscribedHere(push.Channel) ? 1 : 0);
    }

    public async ValueTask<int> DisconnectAsync(string socketId, CancellationToken cancellationToken)
    {
        var closed = _sockets.CloseBySocketId(socketId);
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        await PublishWithRetryAsync(_channels.Control, RedisMessage.EncodeDisconnect(_node, socketId), now, cancellationToken).ConfigureAwait(false);
        return closed;
    }

    private async Task<long> PublishWithRetryAsync(RedisChannel channel, byte[] message, long unixMsAcceptedAt, CancellationToken cancellationToken)
    {
        var deadline = unixMsAcceptedAt + (long)_options.PublishRetryTimeout.TotalMilliseconds;
        while (true)
        {
            if (_available)
            {
                try
                {
                    return await _connection!.GetSubscriber().PublishAsync(channel, message).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    if (_timeProvider.GetUtcNow().ToUnixTimeMilliseconds() >= deadline)
                    {
                        Interlocked.Increment(ref _failedWhileUnavailable);
                        throw new BackplaneUnavailableException("Redis did not take the message before its retry deadline.", ex);
                    }
                }
            }
            else if (_timeProvider.GetUtcNow().ToUnixTimeMilliseconds() >= deadline)
            {
                Interlocked.Increment(ref _failedWhileUnavailable);
                throw new BackplaneUnavailableException("Redis stayed unreachable past the message's retry deadline.");
            }

            await Task.Delay(PublishRetryInterval, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private void OnTopicMessage(string topic, ChannelMessage message)
    {
        try
        {
            if (!RedisMessage.TryDecode((ReadOnlyMemory<byte>)message.Message, out var decoded) || decoded.Value.Kind != RedisMessageKind.Push)
            {
                Log.ForeignMessage(_logger, message.Channel.ToString());
                return;
            }

            if (decoded.Value.Node == _node)
            {
                return;
            }

            var received = decoded.Value;
            _broadcaster.Broadcast(new Push(topic, received.Event, received.Data, received.UnixMsAcceptedAt));
        }
        catch (Exception ex)
        {
            // A subscription handler must survive anything; one bad message must not stop the topic.
            Log.HandlerFailed(_logger, message.Channel.ToString(), ex);
        }
    }

    private void OnControlMessage(ChannelMessage message)
    {
        try
        {
            if (!RedisMessage.TryDecode((ReadOnlyMemory<byte>)message.Message, out var decoded) || decoded.Value.Kind != RedisMessageKind.Disconnect)
            {
                Log.ForeignMessage(_logger, message.Channel.ToString());
                return;
            }

            if (decoded.Value.Node != _node)
            {
                _sockets.CloseBySocketId(decoded.Value.SocketId);
            }
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, message.Channel.ToString(), ex);
        }
    }
}
