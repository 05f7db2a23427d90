using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.Topics;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>One fuzz case: its index (to replay it) and its own generator.</summary>
internal sealed record FuzzCase(int Index, Random Random, Uri BaseAddress, CancellationToken CancellationToken);

/// <summary>
/// A real PushEx server under fuzzing, with the properties every fuzz run asserts: the server still serves, nothing
/// a client sent was logged at Error or above, the canary got every push accepted meanwhile, a fresh client connects,
/// joins and gets a push afterwards, and the server's sockets, channels, file descriptors and managed heap come back
/// to where they stood before the run.
/// </summary>
internal sealed class FuzzServer : IAsyncDisposable
{
    // How far the managed heap may stay above its baseline after a full collection: far below what leaking even a
    // few bytes per case of a long run adds up to, far above what pools and caches that grew under load keep.
    private const long HeapSlackBytes = 32L * 1024 * 1024;

    // Descriptors the runtime may keep open after a run (thread-pool wake-ups, the canary's HTTP connection).
    private const int DescriptorSlack = 32;

    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);
    private const int Lanes = 4;

    private readonly FuzzRun _run;
    private readonly ErrorLogWatch _errors;
    private readonly Canary _canary;
    private readonly ConnectionStatistics _statistics;
    private readonly long _baselineHeap;
    private readonly int _baselineDescriptors;
    private long _peakHeap;

    private FuzzServer(FuzzRun run, PushExTestHost host, ErrorLogWatch errors, Canary canary)
    {
        _run = run;
        Host = host;
        _errors = errors;
        _canary = canary;
        _statistics = host.GetRequiredService<ConnectionStatistics>();
        _baselineHeap = CollectedHeap();
        _baselineDescriptors = OpenDescriptors();
    }

    public PushExTestHost Host { get; }

    public static async Task<FuzzServer> StartAsync(FuzzRun run)
    {
        var errors = new ErrorLogWatch();
        var host = await PushExTestHost.StartAsync(
            options =>
            {
                // Smaller than the defaults so that crossing them costs the fuzzer little; the code paths are the same.
                options.MaxFrameBytes = 16 * 1024;
                options.MaxApiBodyBytes = 256 * 1024;
            },
            services =>
            {
                services.AddSingleton<ILoggerProvider>(errors);
                services.Configure<LoggerFilterOptions>(options => options.AddFilter<ErrorLogWatch>(category: null, LogLevel.Error));
            },
            handler: new FuzzSocketHandler());
        var canary = await Canary.StartAsync(host);
        return new FuzzServer(run, host, errors, canary);
    }

    /// <summary>Runs every case of the run, four at a time; a case returns how many frames (or requests) it sent.</summary>
    public async Task<FuzzFigures> RunAsync(Func<FuzzCase, Task<int>> runCase)
    {
        var stopwatch = Stopwatch.StartNew();
        long frames = 0;
        var cases = 0;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        Exception? failure = null;
        await Parallel.ForEachAsync(_run.CaseIndexes, new ParallelOptions { MaxDegreeOfParallelism = Lanes }, async (index, _) =>
        {
            if (failed.IsCancellationRequested)
            {
                return;
            }

            try
            {
                using (_errors.Track(index))
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(failed.Token);
                    timeout.CancelAfter(CaseTimeout);
                    var sent = await runCase(new FuzzCase(index, _run.RandomFor(index), Host.BaseAddress, timeout.Token));
                    Interlocked.Add(ref frames, sent);
                    Interlocked.Increment(ref cases);
                }

                if (_errors.Any)
                {
                    throw new InvalidOperationException("The server logged at Error or above:" + Environment.NewLine + string.Join(Environment.NewLine, _errors.Errors));
                }

                if (index % 256 == 0)
                {
                    InterlockedMax(ref _peakHeap, GC.GetTotalMemory(forceFullCollection: false));
                }
            }
            catch (Exception ex)
            {
                // The first failure is the one to replay; the cases it cancels fail too, and say nothing new.
                var logged = _errors.Any ? Environment.NewLine + "The server logged at Error or above:" + Environment.NewLine + string.Join(Environment.NewLine, _errors.Errors) : string.Empty;
                if (Interlocked.CompareExchange(ref failure, new FuzzFailure(_run.Describe(index) + logged, ex), null) is null)
                {
                    await failed.CancelAsync();
                }
            }
        });

        if (failure is not null)
        {
            throw failure;
        }

        stopwatch.Stop();
        return new FuzzFigures(_run, cases, frames, stopwatch.Elapsed, Math.Max(_peakHeap, GC.GetTotalMemory(forceFullCollection: false)));
    }

    /// <summary>Asserts the properties that hold across the whole run; a failure names the run to replay.</summary>
    public async Task AssertHealthyAfterRunAsync()
    {
        try
        {
            Assert.Equal(200, await Host.ReadinessAsync());
            Assert.True(_errors.Errors.Count == 0, string.Join(Environment.NewLine, _errors.Errors));
            await _canary.AssertGotEveryAcceptedTickAsync();
            await AssertFreshClientGetsAPushAsync();
            await Eventually.TrueAsync(() => _statistics.SocketCount == 1 && _statistics.ChannelCount == 1, $"only the canary's socket and channel are left (sockets {_statistics.SocketCount}, channels {_statistics.ChannelCount})");
            if (OperatingSystem.IsLinux())
            {
                await Eventually.TrueAsync(() => OpenDescriptors() <= _baselineDescriptors + DescriptorSlack, $"the open file descriptors came back near {_baselineDescriptors} (now {OpenDescriptors()})");
            }

            var heap = CollectedHeap();
            Assert.True(heap <= _baselineHeap + HeapSlackBytes, $"The managed heap stayed at {heap / 1024} KiB after the run, from {_baselineHeap / 1024} KiB before it.");
        }
        catch (Exception ex)
        {
            throw new FuzzFailure(_run.Describe(caseIndex: null), ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _canary.DisposeAsync();
        await Host.DisposeAsync();
    }

    private async Task AssertFreshClientGetsAPushAsync()
    {
        await using var client = await TestWebSocket.ConnectAsync(Host.SocketUri());
        await client.SendTextAsync("""["1","1","fresh","phx_join",{}]""");
        Assert.Equal("""["1","1","fresh","phx_reply",{"status":"ok","response":{}}]""", await client.ReceiveTextAsync());
        using var http = Host.CreateHttpClient();
        using var response = await PushApiClient.PostAsync(http, """{"channel":"fresh","event":"after","data":1}""");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("""["1",null,"fresh","msg",{"data":1,"event":"after",""", await client.ReceiveTextAsync(), StringComparison.Ordinal);
    }

    private static long CollectedHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static int OpenDescriptors() => OperatingSystem.IsLinux() ? Directory.GetFiles("/proc/self/fd").Length : 0;

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }
}

/// <summary>A fuzz case or run failed; the message says how to replay it.</summary>
internal sealed class FuzzFailure(string replay, Exception inner) : Exception($"Fuzz failure ({replay}): {inner.Message}", inner);
