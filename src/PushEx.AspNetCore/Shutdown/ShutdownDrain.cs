using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushEx.Pipeline;
using PushEx.Sockets;
using PushEx.Topics;

namespace PushEx.AspNetCore.Shutdown;

/// <summary>
/// Takes the node out of service when the host stops, better than the original's drainers: readiness fails and
/// new sockets are refused at once; every push accepted so far is broadcast; then (with
/// <see cref="PushExOptions.DisconnectSocketsOnShutdown"/>) every socket is closed with 1012, in batches spread over
/// <see cref="PushExOptions.ShutdownDisconnectWindow"/>, so clients come back elsewhere without a reconnect storm;
/// last, the pipeline is closed (new pushes are refused) and what it accepted meanwhile is broadcast. Each stage is
/// bounded by <see cref="PushExOptions.ShutdownTimeout"/>, so a deploy never hangs on it.
/// </summary>
/// <remarks>
/// The drain runs in <see cref="IHostedLifecycleService.StoppingAsync"/>, which the host calls before it stops any
/// hosted service, the web server included: the server still serves the sockets being closed and the pushes being drained.
/// The node accepts pushes until its sockets are gone and push requests have stopped arriving (the load balancer has
/// seen readiness fail): it is still a full member of the cluster, and with Redis its pushes reach the other nodes'
/// subscribers. Only then does it refuse them, and it stops no earlier than it has broadcast every push it accepted
/// (or its last stage timed out, which it logs with the count).
/// </remarks>
internal sealed partial class ShutdownDrain(
    DrainState drain,
    PushPipeline pipeline,
    SocketRegistry sockets,
    IHostApplicationLifetime lifetime,
    IOptions<PushExOptions> options,
    TimeProvider timeProvider,
    ILogger<ShutdownDrain> logger) : IHostedLifecycleService
{
    private static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    // How long no push request must have arrived before the pipeline closes: steady traffic that stops for this long
    // has been moved elsewhere by the load balancer.
    private static readonly TimeSpan PushRequestsQuietFor = TimeSpan.FromSeconds(1);

    private readonly PushExOptions _options = options.Value;
    private CancellationTokenRegistration _stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // ApplicationStopping fires before any hosted service is asked to stop: readiness turns at once.
        _stopping = lifetime.ApplicationStopping.Register(BeginDrain);
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        BeginDrain();
        var drainStarted = timeProvider.GetTimestamp();
        await _stopping.DisposeAsync().ConfigureAwait(false);
        try
        {
            await DrainPipelineAsync(cancellationToken).ConfigureAwait(false);
            if (_options.DisconnectSocketsOnShutdown)
            {
                await DisconnectSocketsAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                Log.SocketsLeftToHost(logger, sockets.Count);
            }

            await WaitForPushRequestsToStopAsync(drainStarted, cancellationToken).ConfigureAwait(false);
            await ClosePipelineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's own shutdown timeout ended first; it drops what is left. A push accepted from now on would
            // be lost with it, so the pipeline refuses them.
            pipeline.Close();
            Log.HostTimeoutReached(logger, pipeline.Pending, sockets.Count);
        }
    }

    private void BeginDrain()
    {
        // ApplicationStopping and StoppingAsync both call this: the first one begins the drain.
        if (drain.TryBegin())
        {
            Log.DrainStarted(logger, sockets.Count, pipeline.Pending);
        }
    }

    // The pushes accepted before the drain reach this node's sockets before they are closed. The pipeline stays open,
    // so this waits for those pushes only, not for the pending count to reach zero under steady load.
    private async Task DrainPipelineAsync(CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var pending = pipeline.Pending;
        var left = await pipeline.DrainAsync(_options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        var elapsed = timeProvider.GetElapsedTime(started);
        if (left == 0)
        {
            Log.PipelineDrained(logger, pending, elapsed, pipeline.Pending);
        }
        else
        {
            // Not lost: the last stage waits for them again.
            Log.PipelineDrainTimedOut(logger, left, pending, elapsed);
        }
    }

    // A load balancer stops sending pushes here only once its health check has seen readiness fail, a check interval
    // or two after the drain began; a push refused before that is an error for its caller. So the pipeline stays open
    // until no push request has arrived for a second, and no longer than ShutdownTimeout after the drain began (which
    // keeps the drain within its budget of three ShutdownTimeouts).
    private async Task WaitForPushRequestsToStopAsync(long drainStarted, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        while (drain.SinceLastPushRequest < PushRequestsQuietFor && timeProvider.GetElapsedTime(drainStarted) < _options.ShutdownTimeout)
        {
            await Task.Delay(PollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
        }

        var waited = timeProvider.GetElapsedTime(started);
        if (drain.SinceLastPushRequest is { } since)
        {
            Log.PushRequestsStopped(logger, since, waited);
        }
    }

    // No push accepted from here on could be waited for, so none is: the pipeline refuses them (the API answers 503,
    // the caller retries on another node) and the drain waits for the ones it accepted.
    private async Task ClosePipelineAsync(CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var pending = pipeline.Close();
        Log.PipelineClosed(logger, pending);
        var left = await pipeline.DrainAsync(_options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        var elapsed = timeProvider.GetElapsedTime(started);
        if (left == 0)
        {
            Log.PipelineEmpty(logger, pending, elapsed);
        }
        else
        {
            Log.PushesLost(logger, left, elapsed);
        }
    }

    private async Task DisconnectSocketsAsync(CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var open = sockets.Sockets.ToArray();
        var batches = Math.Max(1, (int)(_options.ShutdownDisconnectWindow / BatchInterval));
        var batchSize = Math.Max(1, (open.Length + batches - 1) / batches);
        Log.DisconnectingSockets(logger, open.Length, batchSize, _options.ShutdownDisconnectWindow);

        for (var offset = 0; offset < open.Length; offset += batchSize)
        {
            if (offset > 0)
            {
                await Task.Delay(BatchInterval, timeProvider, cancellationToken).ConfigureAwait(false);
            }

            foreach (var socket in open.AsSpan(offset, Math.Min(batchSize, open.Length - offset)))
            {
                socket.Close(SocketCloseCode.ServiceRestart, "service restart");
            }
        }

        while (sockets.Count > 0 && timeProvider.GetElapsedTime(started) < _options.ShutdownTimeout)
        {
            await Task.Delay(PollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
        }

        var remaining = sockets.Count;
        var took = timeProvider.GetElapsedTime(started);
        Log.SocketsDisconnected(logger, open.Length - remaining, remaining, took);
    }
}
