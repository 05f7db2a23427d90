using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PushEx.Sample;
using PushEx.Topics;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// The sample server (<c>samples/PushEx.Sample</c>), exactly as <c>dotnet run</c> builds it, on 127.0.0.1: demo
/// tokens from <c>GET /token?user=ID</c>, topics <c>user:{own id}</c>, <c>public</c> and <c>room:*</c>, the push API
/// behind <see cref="ApiKey"/>. Settings are passed as command-line configuration (<c>--PushEx:IdleTimeout=00:00:01</c>).
/// </summary>
public sealed class SampleHost : IAsyncDisposable
{
    /// <summary>The sample's push API key (its appsettings.json).</summary>
    public const string ApiKey = "dev-api-key";

    private static readonly TimeSpan StartStopTimeout = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;
    private bool _stopped;

    private SampleHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:PORT</c>.</summary>
    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Who is connected to this server, and to which topics.</summary>
    public ConnectionStatistics Statistics => _app.Services.GetRequiredService<ConnectionStatistics>();

    /// <summary>
    /// Starts the sample on <paramref name="port"/> (0: a free one) with <paramref name="settings"/> added to its
    /// command line. A given port that is still taken (a previous server's connections closing) is retried for a while.
    /// </summary>
    public static async Task<SampleHost> StartAsync(IEnumerable<string>? settings = null, int port = 0)
    {
        var deadline = DateTime.UtcNow + StartStopTimeout;
        while (true)
        {
            var app = SampleServer.Create(
            [
                "--urls", $"http://127.0.0.1:{port}",
                "--contentRoot", Path.Combine(RepositoryLayout.Root, "samples", "PushEx.Sample"),
                "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:PushEx=Warning",
                .. settings ?? [],
            ]);
            try
            {
                await app.StartAsync(TestContext.Current.CancellationToken).WaitAsync(StartStopTimeout, TestContext.Current.CancellationToken);
            }
            catch (IOException) when (port != 0 && DateTime.UtcNow < deadline)
            {
                await app.DisposeAsync();
                await Task.Delay(50, TestContext.Current.CancellationToken);
                continue;
            }

            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new SampleHost(app, new Uri(address));
        }
    }

    /// <summary>Posts a push to the API with the sample's key and fails unless it is accepted (200).</summary>
    public async Task PushAsync(string channel, string @event, object? data)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/push", UriKind.Relative))
        {
            Content = JsonContent.Create(new { channel, @event, data }),
        };
        request.Headers.Authorization = new("Bearer", ApiKey);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"POST /api/push to {channel} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
    }

    /// <summary>Stops the server; with <c>PushEx:DisconnectSocketsOnShutdown</c> this is the drain.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync(CancellationToken.None).WaitAsync(StartStopTimeout);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
