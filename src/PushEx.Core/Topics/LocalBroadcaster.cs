using System.Buffers;
using System.Text.Json;
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
        private ReadOnlyMemory<byte> _payload;
        private ReadOnlyMemory<byte> _v1;
        private ReadOnlyMemory<byte> _v2;

        public int Delivered { get; private set; }

        public void SendTo(Subscription subscription)
        {
            var body = subscription.Socket.Version == ProtocolVersion.V2
                ? Shared(ref _v2, V2JsonSerializer.Instance)
                : Shared(ref _v1, V1JsonSerializer.Instance);
            if (subscription.Socket.Send(new OutboundFrame(subscription.FramePrefix, body, IsBinary: false)))
            {
                Delivered++;
            }
        }

        private ReadOnlyMemory<byte> Shared(ref ReadOnlyMemory<byte> cached, PhoenixSerializer serializer)
        {
            if (cached.IsEmpty)
            {
                cached = serializer.EncodeSharedPush(push.Channel, "msg", Payload().Span);
            }

            return cached;
        }

        // {"data": <data>, "event": "<event>"}: the same for every version.
        private ReadOnlyMemory<byte> Payload()
        {
            if (_payload.IsEmpty)
            {
                var buffer = new ArrayBufferWriter<byte>(32 + push.Event.Length + push.Data.Length);
                using (var writer = new Utf8JsonWriter(buffer, PhoenixSerializer.WriterOptions))
                {
                    writer.WriteStartObject();
                    writer.WritePropertyName("data"u8);
                    writer.WriteRawValue(push.Data.Span, skipInputValidation: true);
                    writer.WriteString("event"u8, push.Event);
                    writer.WriteEndObject();
                }

                _payload = buffer.WrittenMemory;
            }

            return _payload;
        }
    }
}
