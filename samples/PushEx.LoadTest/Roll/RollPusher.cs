using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace PushEx.LoadTest.Roll;

/// <summary>
/// Posts <c>{"channel":…,"event":"roll","data":{"seq":N,"pad":"…"}}</c> to <c>/api/push</c> at a steady rate, open
/// loop (push k is due at k/rate), to the user topics in turn and to the shared topics, with a bound on requests in
/// flight. A push is accepted, and its seq marked in the topic's <see cref="TopicLedger"/>, only when the API answered 200.
/// </summary>
internal sealed class RollPusher : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly RollSettings _settings;
    private readonly HttpClient _http;
    private readonly Uri _api;
    private readonly string _pad;
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private long _userAccepted;
    private long _sharedAccepted;
    private long _failed;

    public RollPusher(RollSettings settings)
    {
        _settings = settings;
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.MaxInFlight,
            // Connections to the load balancer are recycled now and then, so pushes spread over new nodes too.
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
            // Below the load balancer's keep-alive timeout (10 s in deploy/haproxy/haproxy.cfg): a request sent on a
            // connection HAProxy is closing as idle fails before it arrives, and a POST is not retried.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5),
        })
        {
            Timeout = RequestTimeout,
        };
        _api = new Uri(settings.Url, "/api/push");
        _pad = new string('x', Math.Max(0, settings.PadBytes));
    }

    public long UserAccepted => Interlocked.Read(ref _userAccepted);

    public long SharedAccepted => Interlocked.Read(ref _sharedAccepted);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Why pushes were refused, with how many each ("HTTP 503", an exception's message).</summary>
    public IReadOnlyDictionary<string, int> Failures => _failures;

    public TimeSpan Elapsed { get; private set; }

    /// <summary>Pushes until <paramref name="stop"/>, then waits for the requests still in flight (each bounded by its timeout).</summary>
    public async Task RunAsync(IReadOnlyList<TopicLedger> userTopics, IReadOnlyList<TopicLedger> sharedTopics, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        using var gate = new SemaphoreSlim(_settings.MaxInFlight);
        var inFlight = new ConcurrentDictionary<Task, bool>();
        var loops = new List<Task>();
        if (_settings.Rate > 0 && userTopics.Count > 0)
        {
            loops.Add(LoopAsync(_settings.Rate, k => userTopics[(int)(k % userTopics.Count)], shared: false));
        }

        if (_settings.SharedRate > 0 && sharedTopics.Count > 0)
        {
            loops.Add(LoopAsync(_settings.SharedRate * sharedTopics.Count, k => sharedTopics[(int)(k % sharedTopics.Count)], shared: true));
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
        await Task.WhenAll(inFlight.Keys).ConfigureAwait(false);
        Elapsed = Stopwatch.GetElapsedTime(started);

        async Task LoopAsync(double rate, Func<long, TopicLedger> topicOf, bool shared)
        {
            for (long k = 0; !stop.IsCancellationRequested; k++)
            {
                var due = TimeSpan.FromSeconds(k / rate) - Stopwatch.GetElapsedTime(started);
                try
                {
                    if (due > TimeSpan.FromMilliseconds(1))
                    {
                        await Task.Delay(due, stop).ConfigureAwait(false);
                    }

                    await gate.WaitAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                var topic = topicOf(k);
                var seq = topic.Take();
                if (seq < 0)
                {
                    gate.Release();
                    return;
                }

                var push = PushAsync(topic, seq, shared, gate);
                inFlight[push] = true;
                _ = push.ContinueWith(done => inFlight.TryRemove(done, out _), TaskScheduler.Default);
            }
        }
    }

    private async Task PushAsync(TopicLedger topic, long seq, bool shared, SemaphoreSlim gate)
    {
        try
        {
            var body = $$$"""{"channel":{{{JsonSerializer.Serialize(topic.Topic)}}},"event":"roll","data":{"seq":{{{seq}}},"pad":"{{{_pad}}}"}}""";
            using var request = new HttpRequestMessage(HttpMethod.Post, _api) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
            request.Content.Headers.ContentType = Json;
            request.Headers.TryAddWithoutValidation("Authorization", _settings.Authorization);
            using var response = await _http.SendAsync(request).ConfigureAwait(false);
            if ((int)response.StatusCode == 200)
            {
                topic.Accept(seq);
                Interlocked.Increment(ref shared ? ref _sharedAccepted : ref _userAccepted);
            }
            else
            {
                Fail($"HTTP {(int)response.StatusCode}");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Fail(ex is TaskCanceledException ? "timeout" : ex.Message);
        }
        finally
        {
            gate.Release();
        }
    }

    private void Fail(string reason)
    {
        Interlocked.Increment(ref _failed);
        // Exception messages vary; a few kinds are enough to say what went wrong.
        _failures.AddOrUpdate(_failures.Count < 20 || _failures.ContainsKey(reason) ? reason : "other", 1, (_, count) => count + 1);
    }

    public void Dispose() => _http.Dispose();
}
