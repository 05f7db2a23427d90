using System.Security.Cryptography;
using PushEx.Pipeline;

namespace PushEx.History;

/// <summary>
/// The history of every topic on one node, in memory: each push to a topic with history gets the next offset of the
/// topic's epoch and is kept for <see cref="HistoryOptions.Window"/>, at most <see cref="HistoryPolicy.MaxPushesFor"/>
/// of the topic, and <see cref="HistoryOptions.MaxTotalPushes"/> and <see cref="HistoryOptions.MaxTotalBytes"/> over
/// all topics; a topic's position outlives its pushes for <see cref="HistoryOptions.PositionRetention"/>, at most
/// <see cref="HistoryPolicy.MaxPositions"/> of them.
/// </summary>
/// <remarks>
/// <para>
/// One lock guards it all; every step under it is a few pointer moves (a read: one per push it returns), and the costly
/// steps (encoding an appended push's payload with its position, building the pushes a read returns) run outside it,
/// so appends to different topics and reads barely wait on each other.
/// </para>
/// <para>
/// Kept pushes form one list in the order they were appended, whatever their topic: the oldest is dropped first, by
/// age or by the total bound, with no timer and no scan. Each topic also links its own kept pushes, oldest first; since
/// a topic only ever loses its oldest, they are always consecutive offsets ending at the topic's last one. Topics form
/// a second list, least recently pushed first, from which positions past their retention or over the cap are forgotten.
/// Expired pushes and positions are dropped on the next append or read, so a node that falls silent holds at most the
/// bounds above until then.
/// </para>
/// </remarks>
internal sealed partial class InMemoryHistory
{
    // URL-safe, so an epoch can travel in a query string or a JSON payload as it is.
    private const string EpochAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    // 12 characters of a 64-letter alphabet: 72 random bits, so two histories of one topic never share a name.
    private const int EpochLength = 12;

    private readonly HistoryPolicy _policy;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TopicHistory> _topics = new(StringComparer.Ordinal);

    public InMemoryHistory(HistoryPolicy policy, TimeProvider time)
    {
        _policy = policy;
        _time = time;
    }

    /// <summary>How many pushes are kept now, over all topics.</summary>
    public int KeptCount
    {
        get
        {
            lock (_lock)
            {
                return _kept;
            }
        }
    }

    /// <summary>What the kept pushes hold now, as estimated for <see cref="HistoryOptions.MaxTotalBytes"/>.</summary>
    public long KeptBytes
    {
        get
        {
            lock (_lock)
            {
                return _keptBytes;
            }
        }
    }

    /// <summary>How many topic positions are remembered now.</summary>
    public int PositionCount
    {
        get
        {
            lock (_lock)
            {
                return _topics.Count;
            }
        }
    }

    /// <summary>
    /// Gives <paramref name="push"/> the next position of its topic and keeps it, when the topic has history; a topic
    /// without history leaves the push without a position. The caller appends one topic's pushes one at a time, in
    /// the order they are delivered; different topics may be appended concurrently, and concurrently with reads.
    /// </summary>
    public void Append(Push push)
    {
        var maxPushes = _policy.MaxPushesFor(push.Channel);
        if (maxPushes <= 0)
        {
            return;
        }

        while (true)
        {
            TopicHistory topic;
            StreamPosition position;
            lock (_lock)
            {
                var now = _time.GetTimestamp();
                DropExpired(now);
                topic = TouchOrCreate(push.Channel, now);
                position = new StreamPosition(topic.Epoch, topic.LastOffset + 1);
            }

            // The payload is encoded outside the lock: it is the costly step, and proportional to the push's size.
            push.AssignPosition(position);

            lock (_lock)
            {
                // The topic may have been forgotten meanwhile (it fell off the position cap while this thread waited),
                // or a caller broke the one-appender-per-topic rule: then the position is stale, and a new one is taken.
                if (_topics.TryGetValue(push.Channel, out var current) && ReferenceEquals(current, topic) && topic.LastOffset == position.Offset - 1)
                {
                    var now = _time.GetTimestamp();
                    topic.LastOffset = position.Offset;
                    MarkMostRecent(topic, now);
                    Keep(topic, push, position.Offset, now, maxPushes);
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Reads <paramref name="topic"/>'s pushes after <paramref name="afterOffset"/>, and its position now.
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item><see cref="HistoryRead.None"/> when the topic has no history, was never pushed to, or was forgotten.</item>
    /// <item>Complete, with the pushes <c>afterOffset + 1</c> to the top in order, when every one of them is still kept.</item>
    /// <item>Complete and empty when <paramref name="afterOffset"/> is the top's offset: nothing was missed.</item>
    /// <item>
    /// Incomplete and empty when any of them is no longer kept, or <paramref name="afterOffset"/> is past the top (an
    /// offset of another epoch, or <see cref="long.MaxValue"/> to ask for the position alone) or negative.
    /// </item>
    /// </list>
    /// The caller compares the top's epoch with the one it resumes from: an offset of another epoch means nothing here.
    /// </remarks>
    public HistoryRead Read(string topic, long afterOffset)
    {
        StreamPosition top;
        KeptPush[] kept;
        lock (_lock)
        {
            DropExpired(_time.GetTimestamp());
            if (!_topics.TryGetValue(topic, out var history) || history.LastOffset == 0)
            {
                // Never pushed: a topic whose first append has not finished yet has an epoch but no position.
                return HistoryRead.None;
            }

            top = new StreamPosition(history.Epoch, history.LastOffset);
            if (afterOffset >= top.Offset)
            {
                return new HistoryRead(top, afterOffset == top.Offset, []);
            }

            var firstKept = history.Oldest?.Offset ?? top.Offset + 1;
            if (afterOffset < firstKept - 1)
            {
                return new HistoryRead(top, false, []);
            }

            kept = new KeptPush[top.Offset - afterOffset];
            var index = 0;
            for (var entry = history.Oldest; entry is not null; entry = entry.NextInTopic)
            {
                if (entry.Offset > afterOffset)
                {
                    kept[index++] = entry;
                }
            }
        }

        // Built outside the lock: a kept push's fields never change, and appends need not wait for a recovery.
        var pushes = new Push[kept.Length];
        for (var i = 0; i < kept.Length; i++)
        {
            var entry = kept[i];
            pushes[i] = new Push(topic, entry.Event, entry.Data, entry.AcceptedAt, top with { Offset = entry.Offset });
        }

        return new HistoryRead(top, true, pushes);
    }

    private TopicHistory TouchOrCreate(string name, long now)
    {
        if (_topics.TryGetValue(name, out var topic))
        {
            MarkMostRecent(topic, now);
            return topic;
        }

        topic = new TopicHistory(name, RandomNumberGenerator.GetString(EpochAlphabet, EpochLength));
        _topics.Add(name, topic);
        MarkMostRecent(topic, now);
        ForgetOverCap();
        return topic;
    }
}
