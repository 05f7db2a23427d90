using System.Text;
using PushEx.Sockets;

namespace PushEx.Tests.Infrastructure;

/// <summary>
/// An in-memory transport: records every frame and the close, in the order the socket's outbox wrote them.
/// The outbox writes on the thread pool, so tests await what they expect (with a timeout) instead of reading at once.
/// Like a real transport, <see cref="Abort"/> fails a write or close still in progress, and every one after it.
/// </summary>
internal sealed class FakeSocketTransport : ISocketTransport
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly List<SentFrame> _frames = [];
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private readonly TaskCompletionSource<CloseCall> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<int> _flushes = [];
    private readonly List<int> _writingThreads = [];
    private int _closeCalls;

    /// <summary>Runs before a frame is recorded; a test uses it to hold the writer or make a write fail.</summary>
    public Func<SentFrame, ValueTask>? BeforeSend { get; set; }

    /// <summary>Runs before a close is recorded; a test uses it to make the close fail.</summary>
    public Func<ValueTask>? BeforeClose { get; set; }

    /// <summary>The frames written so far.</summary>
    public IReadOnlyList<SentFrame> Frames
    {
        get
        {
            lock (_lock)
            {
                return [.. _frames];
            }
        }
    }

    /// <summary>Completes with the first close the outbox wrote.</summary>
    public Task<CloseCall> Closed => _closed.Task;

    /// <summary>Completes once <see cref="Abort"/> was called.</summary>
    public Task Aborted => _aborted.Task;

    public int CloseCalls => Volatile.Read(ref _closeCalls);

    /// <summary>Whether the outbox may write on the thread that queued a frame, as the connection transport does.</summary>
    public bool WritesInline { get; set; }

    /// <summary>How many times the outbox flushed, and how many frames had been written at each flush.</summary>
    public IReadOnlyList<int> Flushes
    {
        get
        {
            lock (_lock)
            {
                return [.. _flushes];
            }
        }
    }

    /// <summary>The thread each frame was written on, in order.</summary>
    public IReadOnlyList<int> WritingThreads
    {
        get
        {
            lock (_lock)
            {
                return [.. _writingThreads];
            }
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfAborted();
        lock (_lock)
        {
            _flushes.Add(_frames.Count);
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask SendAsync(OutboundFrame frame, CancellationToken cancellationToken)
    {
        ThrowIfAborted();
        var data = new byte[frame.Length];
        frame.CopyTo(data);
        var sent = new SentFrame(data, frame.IsBinary);
        if (BeforeSend is { } hook)
        {
            await UnlessAbortedAsync(hook(sent));
        }

        lock (_lock)
        {
            _frames.Add(sent);
            _writingThreads.Add(Environment.CurrentManagedThreadId);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Count <= _frames.Count)
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public async ValueTask CloseAsync(SocketCloseCode code, string reason, CancellationToken cancellationToken)
    {
        ThrowIfAborted();
        Interlocked.Increment(ref _closeCalls);
        if (BeforeClose is { } hook)
        {
            await UnlessAbortedAsync(hook());
        }

        int framesBefore;
        lock (_lock)
        {
            framesBefore = _frames.Count;
        }

        _closed.TrySetResult(new CloseCall(code, reason, framesBefore));
    }

    public void Abort() => _aborted.TrySetResult();

    /// <summary>
    /// Makes every write wait until the transport is aborted, as on a connection whose client stopped reading
    /// (a zero TCP window). The task completes once the first write is waiting.
    /// </summary>
    public Task StallWrites()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        BeforeSend = _ =>
        {
            waiting.TrySetResult();
            return new ValueTask(never.Task);
        };
        return waiting.Task;
    }

    /// <summary>Makes the close wait until the transport is aborted; the task completes once the close is waiting.</summary>
    public Task StallClose()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        BeforeClose = () =>
        {
            waiting.TrySetResult();
            return new ValueTask(never.Task);
        };
        return waiting.Task;
    }

    /// <summary>Waits until at least <paramref name="count"/> frames were written and returns the first <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<SentFrame>> WaitForFramesAsync(int count)
    {
        TaskCompletionSource signal;
        lock (_lock)
        {
            if (_frames.Count >= count)
            {
                return _frames.GetRange(0, count);
            }

            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
        }

        try
        {
            await signal.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Expected {count} frames within {Timeout}, got {Frames.Count}: {string.Join(" | ", Frames.Select(f => f.Text))}");
        }

        lock (_lock)
        {
            return _frames.GetRange(0, count);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> frames were written and returns the first <paramref name="count"/> as text.</summary>
    public async Task<string[]> WaitForTextFramesAsync(int count)
    {
        var frames = await WaitForFramesAsync(count);
        Assert.All(frames, frame => Assert.False(frame.IsBinary));
        return [.. frames.Select(frame => frame.Text)];
    }

    /// <summary>Waits for the close.</summary>
    public Task<CloseCall> WaitForCloseAsync() => Closed.WaitAsync(Timeout, TestContext.Current.CancellationToken);

    private void ThrowIfAborted()
    {
        if (_aborted.Task.IsCompleted)
        {
            throw new IOException("The connection was aborted.");
        }
    }

    // A write waiting on the client fails as soon as the transport is aborted, as a real connection's does.
    private async Task UnlessAbortedAsync(ValueTask pending)
    {
        var write = pending.AsTask();
        if (await Task.WhenAny(write, _aborted.Task) != write)
        {
            throw new IOException("The connection was aborted.");
        }

        await write;
    }
}

/// <summary>One frame the transport was asked to write.</summary>
internal sealed record SentFrame(byte[] Data, bool IsBinary)
{
    public string Text => Encoding.UTF8.GetString(Data);
}

/// <summary>The close the transport was asked to send, and how many frames had been written before it.</summary>
internal sealed record CloseCall(SocketCloseCode Code, string Reason, int FramesBefore);
