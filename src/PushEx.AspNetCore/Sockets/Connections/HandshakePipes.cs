using System.Buffers;
using System.IO.Pipelines;

namespace PushEx.AspNetCore.Sockets.Connections;

/// <summary>
/// The connection's input as the HTTP layer reads it: the real one until the takeover, then an end of stream. Reads
/// and advances go straight to the real input, so what the HTTP layer did not consume (the client's first frames)
/// stays there for the socket.
/// </summary>
internal sealed class HandshakeReader(PipeReader input, ConnectionTakeover takeover) : PipeReader
{
    private static readonly ReadResult EndOfStream = new(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
        takeover.IsTaken ? ValueTask.FromResult(EndOfStream) : input.ReadAsync(cancellationToken);

    public override bool TryRead(out ReadResult result)
    {
        if (takeover.IsTaken)
        {
            result = EndOfStream;
            return true;
        }

        return input.TryRead(out result);
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        // After the takeover the only buffer the HTTP layer holds is the empty end of stream.
        if (!takeover.IsTaken)
        {
            input.AdvanceTo(consumed, examined);
        }
    }

    public override void CancelPendingRead()
    {
        if (!takeover.IsTaken)
        {
            input.CancelPendingRead();
        }
    }

    public override void Complete(Exception? exception = null)
    {
        if (!takeover.IsTaken)
        {
            input.Complete(exception);
        }
    }
}

/// <summary>The connection's output as the HTTP layer writes it: the real one until the takeover, then nowhere.</summary>
internal sealed class HandshakeWriter(PipeWriter output, ConnectionTakeover takeover) : PipeWriter
{
    // Written to by every connection's finished handshake and read by none, so sharing it is harmless.
    private static byte[] s_discarded = new byte[4096];

    public override bool CanGetUnflushedBytes => !takeover.IsTaken && output.CanGetUnflushedBytes;

    public override long UnflushedBytes => takeover.IsTaken ? 0 : output.UnflushedBytes;

    public override void Advance(int bytes)
    {
        if (!takeover.IsTaken)
        {
            output.Advance(bytes);
        }
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => takeover.IsTaken ? Discarded(sizeHint) : output.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => takeover.IsTaken ? Discarded(sizeHint).Span : output.GetSpan(sizeHint);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
        takeover.IsTaken ? ValueTask.FromResult(new FlushResult(isCanceled: false, isCompleted: false)) : output.FlushAsync(cancellationToken);

    public override void CancelPendingFlush()
    {
        if (!takeover.IsTaken)
        {
            output.CancelPendingFlush();
        }
    }

    public override void Complete(Exception? exception = null)
    {
        if (!takeover.IsTaken)
        {
            output.Complete(exception);
        }
    }

    private static Memory<byte> Discarded(int sizeHint)
    {
        var buffer = s_discarded;
        if (buffer.Length < sizeHint)
        {
            buffer = new byte[sizeHint];
            s_discarded = buffer;
        }

        return buffer;
    }
}
