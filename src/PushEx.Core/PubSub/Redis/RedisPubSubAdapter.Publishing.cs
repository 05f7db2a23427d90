using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using PushEx.Pipeline;
using StackExchange.Redis;
using StreamPosition = PushEx.History.StreamPosition;

namespace PushEx.PubSub.Redis;

/// <summary>
/// Publishing pushes and disconnects, and handling what other nodes publish. A push to a topic without history is
/// delivered to this node's subscribers at once and published for the others, whose echo this node skips. A push to a
/// topic with history is given its offset, appended and published by one script in Redis, and every node, this one
/// included, delivers it from the topic's channel: one order of offsets, and the same order of delivery everywhere.
/// </summary>
internal sealed partial class RedisPubSubAdapter
{
    private static readonly TimeSpan PublishRetryInterval = TimeSpan.FromMilliseconds(250);

    private long _pushSequence;

    public async ValueTask<bool> PublishAsync(Push push, CancellationToken cancellationToken)
    {
        var maxPushes = _history.MaxPushesFor(push.Channel);
        if (maxPushes > 0)
        {
            return await PublishWithHistoryAsync(push, maxPushes, cancellationToken).ConfigureAwait(false);
        }

        var local = _broadcaster.Broadcast(push);
        var message = RedisMessage.EncodePush(_node, push.Event, push.Data.Span, push.UnixMsAcceptedAt);
        var receivers = await PublishWithRetryAsync(push.Channel, message, push.UnixMsAcceptedAt, cancellationToken).ConfigureAwait(false);

        // Redis counts this node among the receivers while it is subscribed to the topic itself.
        return local > 0 || receivers > (IsSubscribedHere(push.Channel) ? 1 : 0);
    }

    public async ValueTask<int> DisconnectAsync(string socketId, CancellationToken cancellationToken)
    {
        var closed = _sockets.CloseBySocketId(socketId);
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        await PublishWithRetryAsync(topic: null, RedisMessage.EncodeDisconnect(_node, socketId), now, cancellationToken).ConfigureAwait(false);
        return closed;
    }

    // Nothing is broadcast here before the script: a local broadcast could overtake, or fall behind, a push another node
    // published to the topic at the same moment. The push reaches this node's subscribers as its echo, in channel order.
    private async ValueTask<bool> PublishWithHistoryAsync(Push push, int maxPushes, CancellationToken cancellationToken)
    {
        var publish = new HistoryPublish(this, push, maxPushes);
        var reply = await RetryUntilDeadlineAsync(
            static (publish, retry) => publish.RunAsync(retry),
            publish,
            push.UnixMsAcceptedAt,
            cancellationToken).ConfigureAwait(false);

        var parts = (RedisResult[])reply!;
        push.AssignPosition(new StreamPosition((string)parts[0]!, (long)parts[1]));
        var receivers = (long)parts[2];

        // Local subscribers without a subscription of this node to the channel (it is being restored after an outage,
        // or Redis refused it and it is retried) get no echo: they get the push here. Should the subscription be made
        // between the check and the PUBLISH, they get it twice, with the same offset, rather than not at all.
        if (!publish.SubscribedHere)
        {
            return _broadcaster.Broadcast(push) > 0 || receivers > 0;
        }

        // This node is among the receivers; it listens only if it still has subscribers (not merely a debounced subscription).
        return receivers > 1 || _topicRegistry.HasSubscribers(push.Channel);
    }

    // To the topic's channel, or the control channel for a null topic. The channel is named at each attempt: one accepted
    // before the node first connected waits for the pub/sub mode to be decided.
    private Task<long> PublishWithRetryAsync(string? topic, byte[] message, long unixMsAcceptedAt, CancellationToken cancellationToken) =>
        RetryUntilDeadlineAsync(
            static (state, _) =>
            {
                var channels = state.Adapter._channels;
                return state.Adapter._connection!.GetSubscriber().PublishAsync(state.Topic is { } topic ? channels.Topic(topic) : channels.Control, state.Message);
            },
            (Adapter: this, Topic: topic, Message: message),
            unixMsAcceptedAt,
            cancellationToken);

    // Retries while Redis is unreachable, until the deadline the push's acceptance set. The attempt is told whether an
    // earlier one failed after it may have reached Redis (its reply lost), so it can avoid doing its work twice.
    private async Task<TResult> RetryUntilDeadlineAsync<TState, TResult>(
        Func<TState, bool, Task<TResult>> attempt,
        TState state,
        long unixMsAcceptedAt,
        CancellationToken cancellationToken)
    {
        var deadline = unixMsAcceptedAt + (long)_options.PublishRetryTimeout.TotalMilliseconds;
        var retry = false;
        while (true)
        {
            if (_available)
            {
                try
                {
                    return await attempt(state, retry).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    retry = true;
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

    // Unique over every node and every push: the first 8 bytes of the node id, then this node's count of pushes.
    private byte[] NewPushId()
    {
        var id = new byte[16];
        _node.TryWriteBytes(id);
        BinaryPrimitives.WriteInt64LittleEndian(id.AsSpan(8), Interlocked.Increment(ref _pushSequence));
        return id;
    }

    // A fresh one per publish, used only when the topic has no history yet: a candidate reused by a node would give a
    // history that Redis lost the same name as the one that replaces it.
    private static string NewEpochCandidate()
    {
        Span<byte> random = stackalloc byte[9];
        RandomNumberGenerator.Fill(random);
        return Base64Url.EncodeToString(random);
    }

    private void OnTopicMessage(string topic, ChannelMessage message)
    {
        try
        {
            if (!RedisMessage.TryDecode((ReadOnlyMemory<byte>)message.Message, out var decoded))
            {
                Log.ForeignMessage(_logger, message.Channel.ToString());
                return;
            }

            var received = decoded.Value;
            switch (received.Kind)
            {
                // Every node delivers a positioned push from here, the one that published it too: the channel's order is the offsets' order.
                case RedisMessageKind.PositionedPush:
                    _broadcaster.Broadcast(new Push(topic, received.Event, received.Data, received.UnixMsAcceptedAt, received.Position!.Value));
                    break;
                case RedisMessageKind.Push when received.Node != _node:
                    _broadcaster.Broadcast(new Push(topic, received.Event, received.Data, received.UnixMsAcceptedAt));
                    break;
                case RedisMessageKind.Push:
                    break;
                default:
                    Log.ForeignMessage(_logger, message.Channel.ToString());
                    break;
            }
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

    /// <summary>One push to a topic with history: the script's keys and arguments, built once for every attempt.</summary>
    private sealed class HistoryPublish
    {
        private const int ChannelArgument = 0;
        private const int RetryArgument = 10;
        private const int ShardedArgument = 11;

        private readonly RedisPubSubAdapter _adapter;
        private readonly string _topic;
        private readonly RedisKey[] _keys;
        private readonly RedisValue[] _values;

        public HistoryPublish(RedisPubSubAdapter adapter, Push push, int maxPushes)
        {
            _adapter = adapter;
            _topic = push.Channel;
            _keys = adapter._channels.History(push.Channel);
            _values =
            [
                RedisValue.Null,
                adapter._positionedPushHead,
                NewEpochCandidate(),
                maxPushes,
                Milliseconds(adapter._history.Window),
                Milliseconds(adapter._history.PositionRetention),
                push.UnixMsAcceptedAt,
                push.Event,
                push.Data,
                adapter.NewPushId(),
                0,
                0,
            ];
        }

        /// <summary>Whether this node was subscribed to the topic's channel when the last attempt was sent.</summary>
        public bool SubscribedHere { get; private set; }

        public Task<RedisResult> RunAsync(bool retry)
        {
            var channels = _adapter._channels;
            _values[ChannelArgument] = channels.TopicName(_topic);
            _values[ShardedArgument] = channels.Sharded ? 1 : 0;
            _values[RetryArgument] = retry ? 1 : 0;
            SubscribedHere = _adapter.IsSubscribedHere(_topic);
            return _adapter._connection!.GetDatabase().ScriptEvaluateAsync(RedisScripts.Publish, _keys, _values);
        }

        // PEXPIRE takes whole milliseconds above zero; a zero would delete the key it is meant to keep.
        private static long Milliseconds(TimeSpan span) => Math.Max(1, (long)span.TotalMilliseconds);
    }
}
