using System.Buffers;

namespace PushEx.AspNetCore.Sockets;

/// <summary>
/// The one owner of the pooled array a socket's receive loop reads a message into. The array goes back to the pool
/// exactly once, whichever read fails: growing takes the larger array over before the old one is returned, and
/// <see cref="Release"/> forgets the array before returning it, so no exception path still holds an array that was
/// already returned. (A pool given an array twice hands it to two renters at once: one connection's bytes would
/// show up in another's message.)
/// </summary>
internal sealed class ReceiveBuffer(ArrayPool<byte> pool)
{
    private byte[]? _array;

    /// <summary>The array being read into; only while one is rented.</summary>
    public byte[] Array => _array ?? throw new InvalidOperationException("No receive buffer is rented.");

    /// <summary>Rents an array of at least <paramref name="minimumLength"/> bytes; the previous one must have been released.</summary>
    public void Rent(int minimumLength)
    {
        if (_array is not null)
        {
            throw new InvalidOperationException("A receive buffer is already rented.");
        }

        _array = pool.Rent(minimumLength);
    }

    /// <summary>Swaps the array for one of at least <paramref name="minimumLength"/> bytes, keeping its first <paramref name="bytesToKeep"/> bytes.</summary>
    public void Grow(int minimumLength, int bytesToKeep)
    {
        var old = Array;
        var larger = pool.Rent(minimumLength);
        old.AsSpan(0, bytesToKeep).CopyTo(larger);
        _array = larger;
        pool.Return(old);
    }

    /// <summary>Returns the array to the pool, if one is rented. Safe to call again.</summary>
    public void Release()
    {
        var array = _array;
        _array = null;
        if (array is not null)
        {
            pool.Return(array);
        }
    }
}
