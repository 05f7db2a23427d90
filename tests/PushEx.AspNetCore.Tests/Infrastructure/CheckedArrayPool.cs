using System.Buffers;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// An <see cref="ArrayPool{T}"/> that hands out fresh arrays and records every misuse instead of hiding it:
/// returning an array twice, or one it never handed out. A shared pool accepts both silently and later gives the
/// same array to two renters, so a test can only see such a bug through a pool like this.
/// </summary>
public sealed class CheckedArrayPool : ArrayPool<byte>
{
    private readonly Lock _lock = new();
    private readonly HashSet<byte[]> _rentedOut = new(ReferenceEqualityComparer.Instance);
    private readonly List<string> _misuses = [];
    private int _rents;

    /// <summary>How many arrays were rented in all.</summary>
    public int Rents => Volatile.Read(ref _rents);

    /// <summary>How many rented arrays have not been returned yet.</summary>
    public int Outstanding
    {
        get
        {
            lock (_lock)
            {
                return _rentedOut.Count;
            }
        }
    }

    /// <summary>Every misuse seen, in order.</summary>
    public IReadOnlyList<string> Misuses
    {
        get
        {
            lock (_lock)
            {
                return [.. _misuses];
            }
        }
    }

    public override byte[] Rent(int minimumLength)
    {
        var array = new byte[minimumLength];
        lock (_lock)
        {
            _rentedOut.Add(array);
        }

        Interlocked.Increment(ref _rents);
        return array;
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        lock (_lock)
        {
            if (!_rentedOut.Remove(array))
            {
                _misuses.Add($"Returned twice or never rented: an array of {array.Length} bytes.");
            }
        }
    }
}
