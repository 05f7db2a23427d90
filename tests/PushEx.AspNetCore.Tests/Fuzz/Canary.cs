using System.Net;
using System.Text.Json;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// A well-behaved client on the fuzzed server: a socket joined to its own topic, and a backend that pushes a numbered
/// tick to that topic through the API every few milliseconds while the fuzzing runs. Every tick the API accepted
/// must reach the socket, in order: hostile clients must not cost anyone else a push.
/// </summary>
internal sealed class Canary : IAsyncDisposable
{
    // No generator produces this name, so only the canary's own ticks go to it.
    public const string Topic = "canary-5d1f9c";

    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(20);

    private readonly TestWebSocket _socket;
    private readonly HttpClient _http;
    private readonly List<int> _accepted = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticking;

    private Canary(TestWebSocket socket, HttpClient http)
    {
        _socket = socket;
        _http = http;
        _ticking = Task.Run(TickAsync);
    }

    public int Accepted => _accepted.Count;

    public static async Task<Canary> StartAsync(PushExTestHost host)
    {
        var socket = await TestWebSocket.ConnectAsync(host.SocketUri());
        await socket.SendTextAsync($$"""["1","1","{{Topic}}","phx_join",{}]""");
        Assert.Equal($$$"""["1","1","{{{Topic}}}","phx_reply",{"status":"ok","response":{}}]""", await socket.ReceiveTextAsync());
        return new Canary(socket, host.CreateHttpClient());
    }

    /// <summary>Stops ticking and checks that the socket got every accepted tick, in order, and nothing else.</summary>
    public async Task AssertGotEveryAcceptedTickAsync()
    {
        await _stop.CancelAsync();
        await _ticking.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(_accepted.Count > 0, "The API accepted no tick for the canary.");
        var next = 0;
        while (next < _accepted.Count)
        {
            var (_, data) = await _socket.ReceiveAsync();
            using var frame = JsonDocument.Parse(data);
            var message = frame.RootElement;
            if (message[3].GetString() != "msg")
            {
                Assert.Equal("phx_reply", message[3].GetString()); // a heartbeat's answer
                continue;
            }

            Assert.Equal(Topic, message[2].GetString());
            var tick = message[4].GetProperty("data").GetInt32();
            Assert.True(tick == _accepted[next], $"The canary expected tick {_accepted[next]} (accepted #{next}) and got {tick}.");
            next++;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _ticking.WaitAsync(TimeSpan.FromSeconds(30));
        await _socket.DisposeAsync();
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(TickInterval);
        var tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                tick++;
                using var response = await PushApiClient.PostAsync(_http, $$"""{"channel":"{{Topic}}","event":"tick","data":{{tick}}}""");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    _accepted.Add(tick);
                }

                if (tick % 50 == 0)
                {
                    // Heartbeats keep the canary within the idle timeout however long the run.
                    await _socket.SendTextAsync($$"""[null,"hb{{tick}}","phoenix","heartbeat",{}]""");
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped.
        }
    }
}
