namespace PushEx.LoadTest.Roll;

/// <summary>
/// The ground truth of one topic: the pusher numbers its pushes 1, 2, 3, … (the <c>seq</c> in the data) and marks a
/// seq accepted once the API answered 200. Seqs are bounded by the run's length and rate.
/// </summary>
internal sealed class TopicLedger(string topic)
{
    /// <summary>No topic gets more seqs than this; a run that would is cut short by <see cref="RollSettings.MaxDuration"/> first.</summary>
    public const int MaxSeq = 1 << 22;

    private readonly Lock _lock = new();
    private bool[] _accepted = new bool[16];
    private long _last;
    private long _acceptedCount;

    public string Topic { get; } = topic;

    /// <summary>The seq the next push will get: a client joined now expects every accepted seq from here on.</summary>
    public long NextSeq => Interlocked.Read(ref _last) + 1;

    public long AcceptedCount => Interlocked.Read(ref _acceptedCount);

    /// <summary>Takes the next seq, or -1 when the topic has had <see cref="MaxSeq"/> already.</summary>
    public long Take()
    {
        var seq = Interlocked.Increment(ref _last);
        return seq < MaxSeq ? seq : -1;
    }

    public void Accept(long seq)
    {
        lock (_lock)
        {
            if (seq >= _accepted.Length)
            {
                Array.Resize(ref _accepted, (int)Math.Min(MaxSeq, Math.Max(seq + 1, _accepted.Length * 2L)));
            }

            if (!_accepted[seq])
            {
                _accepted[seq] = true;
                _acceptedCount++;
            }
        }
    }

    public bool IsAccepted(long seq)
    {
        lock (_lock)
        {
            return seq < _accepted.Length && _accepted[seq];
        }
    }

    /// <summary>The accepted seqs from <paramref name="first"/> on, in order.</summary>
    public long[] AcceptedFrom(long first)
    {
        lock (_lock)
        {
            var seqs = new List<long>();
            for (var seq = Math.Max(1, first); seq < _accepted.Length; seq++)
            {
                if (_accepted[seq])
                {
                    seqs.Add(seq);
                }
            }

            return [.. seqs];
        }
    }
}
