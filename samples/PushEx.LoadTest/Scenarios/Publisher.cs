using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using PushEx.LoadTest.Metrics;

namespace PushEx.LoadTest.Scenarios;

/// <summary>
/// Posts <c>{"channel":…,"event":"bench","data":{"ts":…,"seq":…,"pad":"…"}}</c> to <c>/api/push</c> at a fixed rate
/// (open loop: publish k is due at k/rate, whatever the answers), with a bound on requests in flight. The timestamp
/// is taken right before each request is sent, so a client's latency covers the API, the pipeline and the fan-out.
/// </summary>
internal sealed class Publisher : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpClient _http;
    private readonly Uri _api;

    public Publisher(Uri node, int maxInFlight, string? authorization = null)
    {
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxInFlight,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (authorization is not null)
        {
            _http.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(authorization);
        }

        _api = new Uri(node, "/api/push");
        MaxInFlight = maxInFlight;
    }

    public int MaxInFlight { get; }

    /// <summary>
    /// Publishes <paramref name="count"/> pushes at <paramref name="rate"/> per second. Publish k goes to the channels
    /// <paramref name="channelsOf"/>(k) returns as JSON (a string or an array), with how many channels that is.
    /// </summary>
    public async Task<PublishResult> RunAsync(int count, double rate, Func<int, (string Json, int Channels)> channelsOf, int padBytes, CancellationToken cancellationToken)
    {
        var pad = new string('x', Math.Max(0, padBytes));
        using var gate = new SemaphoreSlim(MaxInFlight);
        var started = Stopwatch.GetTimestamp();
        var startedUnixMicros = Clock.UnixMicros();
        long accepted = 0;
        long acceptedChannels = 0;
        long failed = 0;
        string? firstFailure = null;
        var maxLag = TimeSpan.Zero;
        var tasks = new List<Task>(count);
        for (var k = 0; k < count; k++)
        {
            var due = TimeSpan.FromSeconds(k / rate) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(due, cancellationToken).ConfigureAwait(false);
            }
            else if (-due > maxLag)
            {
                maxLag = -due;
            }

            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            tasks.Add(PublishOneAsync(k));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        return new PublishResult(accepted, acceptedChannels, failed, startedUnixMicros, Stopwatch.GetElapsedTime(started), maxLag, firstFailure);

        async Task PublishOneAsync(int k)
        {
            try
            {
                var (channels, channelCount) = channelsOf(k);
                var body = $$$"""{"channel":{{{channels}}},"event":"bench","data":{"ts":{{{Clock.UnixMicros()}}},"seq":{{{k}}},"pad":"{{{pad}}}"}}""";
                using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                content.Headers.ContentType = Json;
                using var response = await _http.PostAsync(_api, content, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref accepted);
                    Interlocked.Add(ref acceptedChannels, channelCount);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstFailure, $"HTTP {(int)response.StatusCode}", null);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstFailure, ex.Message, null);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    public void Dispose() => _http.Dispose();
}
