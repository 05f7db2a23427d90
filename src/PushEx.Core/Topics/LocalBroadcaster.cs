using PushEx.Instrumentation;
using PushEx.Pipeline;
using PushEx.Protocol;
using PushEx.Sockets;

namespace PushEx.Topics;

/// <summary>
/// Hands a push to every local subscriber of its topic as the <c>"msg"</c> event (PROTOCOL.md §10.3). The frame is
/// encoded at most once per protocol version, and only when a subscriber of that version exists; each subscriber
/// gets the shared bytes behind its own join-ref prefix, so the loop allocates nothing per subscriber.
/// </summary>
internal sealed class LocalBroadcaster(TopicRegistry topics, InstrumentationHooks instrumentation, PushMetrics metrics)
{
    /// <summary>Returns how many local subscribers were handed the push.</summary>
    public int Broadcast(Push push)
    {
        if (!topics.HasSubscribers(push.Channel))
        {
            return 0;
        }

        var frames = new PushFrames(push);
        topics.ForEach(push.Channel, static (subscription, frames) => frames.SendTo(subscription), frames);
        if (frames.Delivered > 0)
        {
            metrics.Delivered(frames.Delivered);
            if (instrumentation.IsEnabled)
            {
                instrumentation.Delivered(push, frames.Delivered);
            }
        }

        return frames.Delivered;
    }

    /// <summary>The frames of one push, encoded on first use per version.</summary>
    private sealed class PushFrames(Push push)
    {
        private ReadOnlyMemory<byte> _v1;
        private ReadOnlyMemory<byte> _v2;

        public int Delivered { get; private set; }

        public void SendTo(Subscription subscription)
        {
            if (subscription.Held is not null)
            {
                // Its join is reading the topic's history; it gets this push after that, merged by offset.
                subscription.Hold(push);
                return;
            }

            if (subscription.WasReplayed(push))
            {
                return;
            }

            var body = subscription.Socket.Version == ProtocolVersion.V2
                ? Shared(ref _v2, V2JsonSerializer.Instance)
                : Shared(ref _v1, V1JsonSerializer.Instance);
            if (subscription.Socket.Send(new OutboundFrame(subscription, push, body)))
            {
                Delivered++;
            }
        }

        private ReadOnlyMemory<byte> Shared(ref ReadOnlyMemory<byte> cached, PhoenixSerializer serializer)
        {
            if (cached.IsEmpty)
            {
                cached = serializer.EncodeSharedPush(push.Channel, "msg", push.MsgPayload.Span);
            }

            return cached;
        }
    }
}
