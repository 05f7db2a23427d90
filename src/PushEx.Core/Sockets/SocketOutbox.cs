namespace PushEx.Sockets;

/// <summary>
/// A socket's bounded send queue with a single writer. Anyone may enqueue (the socket's own replies, fan-out
/// workers); one write loop drains the queue in order, writing every frame waiting and then flushing them together.
/// The loop runs only while there is something to write, so an idle socket holds no running task; on a transport
/// that only copies into the connection's buffer (<see cref="ISocketTransport.WritesInline"/>) it runs on the thread
/// that queued the frame, else on a pool thread. When more than the limit waits, the client is too slow: the queue is
/// dropped and the socket closed with 1013 so the client reconnects, and nobody else waits for it.
/// The limit counts the frames waiting, not the one being written. A frame that arrives while nothing waits is
/// always accepted, whatever its size: one push larger than the limit is not a slow consumer, and refusing it
/// would close every subscriber at once (all reconnecting together). Overflow is a new frame that would take
/// frames already waiting over the limit; so the queue holds at most the limit, or one frame larger than it.
/// Every close, whatever its reason (overflow, idle timeout, disconnect, drain), has a deadline: a client that
/// reads nothing at all keeps even the close frame from going out, so if it is not written within
/// <see cref="CloseWriteTimeout"/> the transport is aborted, which fails the stuck write and ends the socket.
/// </summary>
internal sealed partial class SocketOutbox : IThreadPoolWorkItem
{
    /// <summary>How long a close may take to be written (after the frames queued before it) before the connection is dropped.</summary>
    internal static readonly TimeSpan CloseWriteTimeout = TimeSpan.FromSeconds(5);

    private readonly ISocketTransport _transport;
    private readonly SocketServices _services;
    private readonly PushSocket? _owner;
    private readonly Lock _lock = new();
    private readonly Queue<OutboundFrame> _frames = new();
    private long _queuedBytes;
    private bool _writing;
    private PendingClose? _close;
    private bool _closeSent;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITimer? _closeDeadline;

    // The owner records its resume positions once every frame queued before the close is written, just before the
    // close frame. (The owner and its services rather than a callback and copies of each: an idle socket's bytes.)
    public SocketOutbox(ISocketTransport transport, SocketServices services, PushSocket? owner)
    {
        _transport = transport;
        _services = services;
        _owner = owner;
    }

    /// <summary>Completes once the close frame has been written, or writing has failed for good.</summary>
    public Task Completion => _completed.Task;

    /// <summary>True once a close was requested; nothing more is queued after it.</summary>
    public bool IsClosing
    {
        get
        {
            lock (_lock)
            {
                return _close is not null;
            }
        }
    }

    /// <summary>Queues a frame; false when the socket is closing or the frame overflowed the queue (which closes it).</summary>
    public bool TryEnqueue(OutboundFrame frame)
    {
        bool writeHere;
        lock (_lock)
        {
            if (_close is not null)
            {
                return false;
            }

            if (_frames.Count > 0 && _queuedBytes + frame.Length > _services.Options.SocketSendQueueLimit)
            {
                Log.SendQueueOverflow(_services.SocketLogger, _queuedBytes + frame.Length, _services.Options.SocketSendQueueLimit);
                _services.Metrics.SlowConsumer();
                _frames.Clear();
                _queuedBytes = 0;
                BeginClose(new PendingClose(SocketCloseCode.TryAgainLater, "send queue overflow"));
                return false;
            }

            _frames.Enqueue(frame);
            _queuedBytes += frame.Length;
            writeHere = StartWriter(mayWriteHere: true);
        }

        if (writeHere)
        {
            // The transport only copies into the connection's buffer: cheaper here than a pool thread per socket.
            _ = WriteLoopAsync(inline: true);
        }

        return true;
    }

    /// <summary>Closes after the frames already queued have been written. Only the first close counts.</summary>
    public void Close(SocketCloseCode code, string reason)
    {
        lock (_lock)
        {
            if (_close is not null)
            {
                return;
            }

            BeginClose(new PendingClose(code, reason));
        }
    }

    void IThreadPoolWorkItem.Execute() => _ = WriteLoopAsync(inline: false);

    // Called under the lock.
    private void BeginClose(PendingClose close)
    {
        _close = close;

        // Armed for every close, not only an overflow: the write ahead of the close (or the close frame itself) may
        // be stuck on a client that stopped reading, and nothing else would ever end that socket (the idle sweeper
        // skips sockets already closing).
        _closeDeadline = _services.TimeProvider.CreateTimer(static state => ((SocketOutbox)state!).AbortIfCloseNotWritten(), this, CloseWriteTimeout, Timeout.InfiniteTimeSpan);
        StartWriter(mayWriteHere: false);
    }

    private void AbortIfCloseNotWritten()
    {
        if (!_completed.Task.IsCompleted)
        {
            // Aborting fails the stuck write; the write loop then completes the outbox.
            Log.CloseWriteTimedOut(_services.SocketLogger, CloseWriteTimeout);
            _transport.Abort();
        }
    }

    private void Complete()
    {
        ITimer? deadline;
        lock (_lock)
        {
            deadline = _closeDeadline;
            _closeDeadline = null;
        }

        deadline?.Dispose();
        _completed.TrySetResult();
    }

    // Called under the lock. Starts the writer unless it runs; true when the caller is to run it itself, once the lock
    // is released (a frame on a transport that writes inline), else it is queued to the pool.
    private bool StartWriter(bool mayWriteHere)
    {
        if (_writing)
        {
            return false;
        }

        _writing = true;
        if (mayWriteHere && _transport.WritesInline)
        {
            return true;
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        return false;
    }

    // Writes every frame queued, then flushes them together, until nothing is left. Run inline (on the thread that
    // queued a frame) it only writes frames: the close, with its resume-position record, is left to a pool thread.
    private async Task WriteLoopAsync(bool inline)
    {
        var unflushed = false;
        while (true)
        {
            var hasFrame = false;
            OutboundFrame frame = default;
            PendingClose? close = null;
            lock (_lock)
            {
                if (_frames.TryDequeue(out frame))
                {
                    hasFrame = true;
                    _queuedBytes -= frame.Length;
                }
                else if (unflushed)
                {
                    // Flush below.
                }
                else if (_close is not null && !_closeSent)
                {
                    if (inline)
                    {
                        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                        return;
                    }

                    _closeSent = true;
                    close = _close;
                }
                else
                {
                    _writing = false;
                    return;
                }
            }

            try
            {
                if (hasFrame)
                {
                    await _transport.SendAsync(frame, CancellationToken.None).ConfigureAwait(false);
                    unflushed = true;
                    if (frame.Push is { } push)
                    {
                        frame.Subscription!.MarkWritten(push);
                    }
                }
                else if (close is null)
                {
                    unflushed = false;
                    await _transport.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    if (_owner is not null)
                    {
                        await _owner.RecordResumePositionsAsync().ConfigureAwait(false);
                    }

                    await _transport.CloseAsync(close.Code, close.Reason, CancellationToken.None).ConfigureAwait(false);
                    Complete();
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The connection is gone (the client vanished mid-write); nothing queued can be delivered any more.
                Log.WriteFailed(_services.SocketLogger, ex);
                lock (_lock)
                {
                    _frames.Clear();
                    _queuedBytes = 0;
                    _close ??= new PendingClose(SocketCloseCode.InternalError, "write failed");
                    _closeSent = true;
                    _writing = false;
                }

                try
                {
                    _transport.Abort();
                }
                finally
                {
                    Complete();
                }

                return;
            }
        }
    }

    private sealed record PendingClose(SocketCloseCode Code, string Reason);
}
