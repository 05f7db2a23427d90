using System.Numerics;

namespace PushEx.LoadTest.Metrics;

/// <summary>
/// A log-linear histogram of microseconds (exact below 128 µs, then 64 buckets per power of two: under 1.6 % error),
/// recorded lock-free from any thread, merged across worker processes by adding the counts.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 7;
    private const int HalfSubBuckets = 1 << (SubBucketBits - 1);
    private const int BucketCount = (64 - SubBucketBits + 1) * HalfSubBuckets + HalfSubBuckets;

    private readonly long[] _counts;

    public LatencyHistogram() => _counts = new long[BucketCount];

    private LatencyHistogram(long[] counts) => _counts = counts;

    public long Count => _counts.Sum();

    public void Record(long micros) => Interlocked.Increment(ref _counts[IndexOf(Math.Max(0, micros))]);

    public void Reset() => Array.Clear(_counts);

    /// <summary>The counts, without trailing zeros, for a worker's report.</summary>
    public long[] Export()
    {
        var snapshot = new long[_counts.Length];
        for (var i = 0; i < snapshot.Length; i++)
        {
            snapshot[i] = Volatile.Read(ref _counts[i]);
        }

        var last = Array.FindLastIndex(snapshot, count => count != 0);
        return snapshot[..(last + 1)];
    }

    public static LatencyHistogram Merge(IEnumerable<long[]?> exports)
    {
        var counts = new long[BucketCount];
        foreach (var export in exports)
        {
            if (export is null)
            {
                continue;
            }

            for (var i = 0; i < export.Length; i++)
            {
                counts[i] += export[i];
            }
        }

        return new LatencyHistogram(counts);
    }

    /// <summary>What was recorded after <paramref name="earlier"/>, a snapshot of the same (cumulative) counts.</summary>
    public LatencyHistogram Since(LatencyHistogram earlier)
    {
        var counts = new long[BucketCount];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Math.Max(0, _counts[i] - earlier._counts[i]);
        }

        return new LatencyHistogram(counts);
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1) in microseconds, or null without samples.</summary>
    public double? Percentile(double q)
    {
        var total = Count;
        if (total == 0)
        {
            return null;
        }

        var rank = (long)Math.Ceiling(q * total);
        rank = Math.Clamp(rank, 1, total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return ValueOf(i);
            }
        }

        return ValueOf(_counts.Length - 1);
    }

    public double? Max()
    {
        var last = Array.FindLastIndex(_counts, count => count != 0);
        return last < 0 ? null : ValueOf(last);
    }

    private static int IndexOf(long value)
    {
        if (value < 1 << SubBucketBits)
        {
            return (int)value;
        }

        var shift = 63 - BitOperations.LeadingZeroCount((ulong)value) - (SubBucketBits - 1);
        return (shift * HalfSubBuckets) + (int)(value >> shift);
    }

    // The middle of the bucket.
    private static double ValueOf(int index)
    {
        if (index < 1 << SubBucketBits)
        {
            return index;
        }

        var shift = (index / HalfSubBuckets) - 1;
        var sub = index - (shift * HalfSubBuckets);
        return ((double)sub * (1L << shift)) + ((1L << shift) / 2.0);
    }
}
