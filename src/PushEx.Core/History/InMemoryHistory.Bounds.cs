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

    // Every remembered topic, least recently pushed first.
    private TopicHistory? _leastRecent;
    private TopicHistory? _mostRecent;

    private void Keep(TopicHistory topic, Push push, long offset, long now, int maxPushes)
    {
        var bytes = EstimatedBytes(push);
        if (_policy.MaxTotalPushes <= 0 || bytes > _policy.MaxTotalBytes)
        {
            // Not kept, so the topic's older pushes go too: a read needs them in one unbroken run up to the top.
            while (topic.Oldest is { } older)
            {
                Drop(older);
            }

            return;
        }

        var kept = new KeptPush(topic, push, offset, now, bytes) { Older = _newest };
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
        _keptBytes += bytes;

        while (topic.Count > maxPushes)
        {
            Drop(topic.Oldest!);
        }

        while (_kept > _policy.MaxTotalPushes || _keptBytes > _policy.MaxTotalBytes)
        {
            Drop(_oldest!);
        }
    }

    /// <summary>
    /// What keeping <paramref name="push"/> costs: its payloads with and without its position, and about 256 bytes of
    /// objects (the push, its content, the entry; measured at 450 bytes per push with a 40-byte payload in all).
    /// </summary>
    private static long EstimatedBytes(Push push) => push.MsgPayload.Length + push.Content.MsgPayload.Length + 256;

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

        while (_leastRecent is { } topic && _time.GetElapsedTime(topic.LastPushedAt, now) >= _policy.PositionRetention)
        {
            Forget(topic);
        }
    }

    private void ForgetOverCap()
    {
        // With the cap well above the total of kept pushes, the least recently pushed topic has almost always lost its
        // pushes already; if not, they go with its position, since they could not be read without it.
        while (_topics.Count > _policy.MaxPositions && _leastRecent is { } topic)
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

        Unlink(topic);
        _topics.Remove(topic.Name);
    }

    private void MarkMostRecent(TopicHistory topic, long now)
    {
        topic.LastPushedAt = now;
        if (ReferenceEquals(_mostRecent, topic))
        {
            return;
        }

        if (topic.MoreRecent is not null || ReferenceEquals(_leastRecent, topic))
        {
            Unlink(topic);
        }

        topic.LessRecent = _mostRecent;
        if (_mostRecent is null)
        {
            _leastRecent = topic;
        }
        else
        {
            _mostRecent.MoreRecent = topic;
        }

        _mostRecent = topic;
    }

    private void Unlink(TopicHistory topic)
    {
        if (topic.LessRecent is null)
        {
            _leastRecent = topic.MoreRecent;
        }
        else
        {
            topic.LessRecent.MoreRecent = topic.MoreRecent;
        }

        if (topic.MoreRecent is null)
        {
            _mostRecent = topic.LessRecent;
        }
        else
        {
            topic.MoreRecent.LessRecent = topic.LessRecent;
        }

        topic.LessRecent = topic.MoreRecent = null;
    }

    /// <summary>One topic's history: its epoch, its last offset and its kept pushes.</summary>
    private sealed class TopicHistory(string name, string epoch)
    {
        public string Name { get; } = name;

        public string Epoch { get; } = epoch;

        /// <summary>The offset of the topic's last push; 0 until its first append completes.</summary>
        public long LastOffset { get; set; }

        public long LastPushedAt { get; set; }

        public KeptPush? Oldest { get; set; }

        public KeptPush? Newest { get; set; }

        public int Count { get; set; }

        public TopicHistory? LessRecent { get; set; }

        public TopicHistory? MoreRecent { get; set; }
    }

    /// <summary>A kept push, linked into the list of all kept pushes and into its topic's.</summary>
    private sealed class KeptPush(TopicHistory topic, Push push, long offset, long appendedAt, long bytes)
    {
        public TopicHistory Topic { get; } = topic;

        public Push Push { get; } = push;

        public long Offset { get; } = offset;

        public long AppendedAt { get; } = appendedAt;

        public long Bytes { get; } = bytes;

        public KeptPush? Older { get; set; }

        public KeptPush? Newer { get; set; }

        public KeptPush? NextInTopic { get; set; }
    }
}
