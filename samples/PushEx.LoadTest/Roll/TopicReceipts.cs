namespace PushEx.LoadTest.Roll;

/// <summary>
/// What one client received on one topic: how often each seq arrived (saturating at 255), and, when the pushes carry
/// history positions, whether their offsets ran without gap or repeat within an epoch. Called from the client's
/// receive loop; read under the client's lock.
/// </summary>
internal sealed class TopicReceipts(TopicLedger ledger)
{
    private byte[] _counts = new byte[16];
    private string? _epoch;
    private long _lastOffset = -1;

    public TopicLedger Ledger { get; } = ledger;

    /// <summary>The first seq this client must receive (the topic's next seq when its first join was answered); -1 before.</summary>
    public long FirstExpected { get; private set; } = -1;

    /// <summary>Messages received in all, seq or not.</summary>
    public long Messages { get; private set; }

    /// <summary>Pushes whose offset jumped past the last one's + 1 in the same epoch: the size of the jumps.</summary>
    public long OffsetGaps { get; private set; }

    /// <summary>Pushes whose offset was not past the last one's in the same epoch.</summary>
    public long OffsetRepeats { get; private set; }

    /// <summary>How often the epoch differed from the previous push's.</summary>
    public long EpochChanges { get; private set; }

    public void Joined()
    {
        if (FirstExpected < 0)
        {
            FirstExpected = Ledger.NextSeq;
        }
    }

    /// <summary>For a client whose joins another process saw: it expects every accepted seq from <paramref name="first"/> on.</summary>
    public void ExpectFrom(long first) => FirstExpected = first;

    public void Record(long seq, long offset, string? epoch)
    {
        Messages++;
        if (seq is > 0 and < TopicLedger.MaxSeq)
        {
            if (seq >= _counts.Length)
            {
                Array.Resize(ref _counts, (int)Math.Min(TopicLedger.MaxSeq, Math.Max(seq + 1, _counts.Length * 2L)));
            }

            if (_counts[seq] < byte.MaxValue)
            {
                _counts[seq]++;
            }
        }

        if (offset < 0)
        {
            return;
        }

        if (_epoch is not null && epoch != _epoch)
        {
            // A new history (a restarted node, a forgotten topic): offsets start over.
            EpochChanges++;
            _epoch = epoch;
            _lastOffset = offset;
            return;
        }

        if (_lastOffset >= 0 && offset <= _lastOffset)
        {
            OffsetRepeats++;
            return;
        }

        if (_lastOffset >= 0 && offset > _lastOffset + 1)
        {
            OffsetGaps += offset - _lastOffset - 1;
        }

        _epoch = epoch;
        _lastOffset = offset;
    }

    public int TimesReceived(long seq) => seq < _counts.Length ? _counts[seq] : 0;

    /// <summary>Accepted seqs this client should have and has not received yet.</summary>
    public int Missing()
    {
        if (FirstExpected < 0)
        {
            return 0;
        }

        var missing = 0;
        foreach (var seq in Ledger.AcceptedFrom(FirstExpected))
        {
            missing += TimesReceived(seq) == 0 ? 1 : 0;
        }

        return missing;
    }

    /// <summary>Receptions beyond the first of each seq.</summary>
    public long Duplicates()
    {
        long duplicates = 0;
        foreach (var count in _counts)
        {
            duplicates += Math.Max(0, count - 1);
        }

        return duplicates;
    }

    /// <summary>Seqs received that were never accepted (a push whose API call failed yet went out) or came before the first join.</summary>
    public long Unexpected()
    {
        long unexpected = 0;
        for (var seq = 1; seq < _counts.Length; seq++)
        {
            if (_counts[seq] > 0 && (seq < FirstExpected || !Ledger.IsAccepted(seq)))
            {
                unexpected++;
            }
        }

        return unexpected;
    }
}
