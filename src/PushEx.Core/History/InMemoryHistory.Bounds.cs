using System.Diagnostics;
using PushEx.Pipeline;

namespace PushEx.History;

/// <summary>What is kept, and what is dropped to stay within the window, the counts and the position cap.</summary>
internal sealed partial class InMemoryHistory
{
    // Every kept push, oldest first, whatever its topic (guarded by _lock, as everything below).
    private KeptPush? _oldest;
    private KeptPush? _newest;
    private int _kept;
    private long _keptBytes;

    // Every remembered topic, least recently pushed first (one node per topic: far fewer than kept pushes).
    private readonly LinkedList<TopicHistory> _byRecency = new();

    // A kept push's entry and its payload's array header (measured: 220 bytes per push with a 90-byte payload in all).
    private const int KeptPushOverhead = 136;

    private void Keep(TopicHistory topic, Push push, long offset, long now, int maxPushes)
    {
        if (_policy.MaxTotalPushes <= 0 || push.MsgPayload.Length + KeptPushOverhead > _policy.MaxTotalBytes)
        {
            // Not kept, so the topic's older pushes go too: a read needs them in one unbroken run up to the top.
            while (topic.Oldest is { } older)
            {
                Drop(older);
            }

            return;
        }

        var kept = new KeptPush(topic, push, offset, now) { Older = _newest };
        if (_newest is null)
        {
            _oldest = kept;
        }
        else
        {
            _newest.Newer = kept;
        }

        _newest = kept;
        if (topic.Newest is null)
        {
            topic.Oldest = kept;
        }
        else
        {
            topic.Newest.NextInTopic = kept;
        }

        topic.Newest = kept;
        topic.Count++;
        _kept++;
        _keptBytes += kept.Bytes;

        while (topic.Count > maxPushes)
        {
            Drop(topic.Oldest!);
        }

        while (_kept > _policy.MaxTotalPushes || _keptBytes > _policy.MaxTotalBytes)
        {
            Drop(_oldest!);
        }
    }

    /// <summary>Drops a kept push, which is always the oldest of its topic: a topic loses only its oldest.</summary>
    private void Drop(KeptPush kept)
    {
        var topic = kept.Topic;
        Debug.Assert(ReferenceEquals(topic.Oldest, kept), "a kept push is dropped before the older ones of its topic");
        topic.Oldest = kept.NextInTopic;
        if (topic.Oldest is null)
        {
            topic.Newest = null;
        }

        topic.Count--;

        if (kept.Older is null)
        {
            _oldest = kept.Newer;
        }
        else
        {
            kept.Older.Newer = kept.Newer;
        }

        if (kept.Newer is null)
        {
            _newest = kept.Older;
        }
        else
        {
            kept.Newer.Older = kept.Older;
        }

        kept.Older = kept.Newer = kept.NextInTopic = null;
        _kept--;
        _keptBytes -= kept.Bytes;
    }

    /// <summary>Drops the pushes past the window and forgets the positions past their retention, oldest first.</summary>
    private void DropExpired(long now)
    {
        // Appended in time order, so the first one still inside the window ends the sweep: amortised O(1) per append.
        while (_oldest is { } oldest && _time.GetElapsedTime(oldest.AppendedAt, now) >= _policy.Window)
        {
            Drop(oldest);
        }

        while (_byRecency.First?.Value is { } topic && _time.GetElapsedTime(topic.LastPushedAt, now) >= _policy.PositionRetention)
        {
            Forget(topic);
        }
    }

    private void ForgetOverCap()
    {
        // With the cap well above the total of kept pushes, the least recently pushed topic has almost always lost its
        // pushes already; if not, they go with its position, since they could not be read without it.
        while (_topics.Count > _policy.MaxPositions && _byRecency.First?.Value is { } topic)
        {
            Forget(topic);
        }
    }

    /// <summary>Forgets a topic: its next push starts a new epoch at offset 1.</summary>
    private void Forget(TopicHistory topic)
    {
        while (topic.Oldest is { } kept)
        {
            Drop(kept);
        }

        _byRecency.Remove(topic.Recency);
        _topics.Remove(topic.Name);
    }

    private void MarkMostRecent(TopicHistory topic, long now)
    {
        topic.LastPushedAt = now;
        if (topic.Recency.List is not null)
        {
            _byRecency.Remove(topic.Recency);
        }

        _byRecency.AddLast(topic.Recency);
    }

    /// <summary>One topic's history: its epoch, its last offset and its kept pushes.</summary>
    private sealed class TopicHistory
    {
        public TopicHistory(string name, string epoch)
        {
            Name = name;
            Epoch = epoch;
            Recency = new LinkedListNode<TopicHistory>(this);
        }

        public string Name { get; }

        public string Epoch { get; }

        /// <summary>The topic's place in the list of topics by recency of their last push.</summary>
        public LinkedListNode<TopicHistory> Recency { get; }

        /// <summary>The offset of the topic's last push; 0 until its first append completes.</summary>
        public long LastOffset { get; set; }

        public long LastPushedAt { get; set; }

        public KeptPush? Oldest { get; set; }

        public KeptPush? Newest { get; set; }

        public int Count { get; set; }
    }

    /// <summary>
    /// A kept push, linked into the list of all kept pushes and into its topic's. It holds the push's msg payload (with
    /// its position, as subscribers received it) and not the push itself: one array instead of the push, its content
    /// and their two payloads, so a kept push costs half the memory, and the garbage collector a third of the work,
    /// of keeping the push. A read builds the push again.
    /// </summary>
    private sealed class KeptPush
    {
        public KeptPush(TopicHistory topic, Push push, long offset, long appendedAt)
        {
            Topic = topic;
            Event = push.Event;
            Payload = push.MsgPayload;
            AcceptedAt = push.UnixMsAcceptedAt;
            Offset = offset;
            AppendedAt = appendedAt;

            // The payload with a position begins as the one without does (PushContent.WithPosition): the data sits at
            // the same index in both.
            var found = push.Content.MsgPayload.Span.Overlaps(push.Data.Span, out _dataStart);
            Debug.Assert(found, "a push's data is a slice of its content's payload");
            _dataLength = push.Data.Length;
        }

        private readonly int _dataStart;
        private readonly int _dataLength;

        public TopicHistory Topic { get; }

        public string Event { get; }

        public ReadOnlyMemory<byte> Payload { get; }

        public ReadOnlyMemory<byte> Data => Payload.Slice(_dataStart, _dataLength);

        public long AcceptedAt { get; }

        public long Offset { get; }

        public long AppendedAt { get; }

        public long Bytes => Payload.Length + KeptPushOverhead;

        public KeptPush? Older { get; set; }

        public KeptPush? Newer { get; set; }

        public KeptPush? NextInTopic { get; set; }
    }
}
