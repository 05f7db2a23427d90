using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PushEx.Sockets;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>A real Kestrel server on 127.0.0.1 and a free port, running PushEx with a test socket handler.</summary>
public sealed class PushExTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PushExTestHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public const string ReadinessPath = "/health/ready";

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:PORT</c>.</summary>
    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts a host. <paramref name="configureOptions"/> adjusts the PushEx options; <paramref name="configureServices"/> may
    /// replace services; <paramref name="configureEndpoints"/> gets the builder <c>MapPushEx()</c> returned.
    /// </summary>
    public static async Task<PushExTestHost> StartAsync(
        Action<PushExOptions>? configureOptions = null,
        Action<IServiceCollection>? configureServices = null,
        ISocketHandler? handler = null,
        Action<WebApplication>? configureApp = null,
        Action<IPushExBuilder>? configurePushEx = null,
        Action<IEndpointConventionBuilder>? configureEndpoints = null,
        Action<ListenOptions>? configureListen = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        if (configureListen is null)
        {
            // As the sample does: sockets run on Kestrel's connection.
            builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0").UsePushExTransport();
        }
        else
        {
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, configureListen));
        }

        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (Environment.GetEnvironmentVariable("PUSHEX_TEST_LOG") == "1")
        {
            // For debugging a test: the server's log on the console.
            builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        }

        var pushEx = builder.Services.AddPushEx(options => configureOptions?.Invoke(options)).AddApiAuthorizer<TestApiAuthorizer>();
        configurePushEx?.Invoke(pushEx);
        if (handler is null)
        {
            builder.Services.AddSingleton<TestSocketHandler>();
            builder.Services.AddSingleton<ISocketHandler>(provider => provider.GetRequiredService<TestSocketHandler>());
        }
        else
        {
            builder.Services.AddSingleton(handler);
        }

        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        configureApp?.Invoke(app);
        app.MapHealthChecks(ReadinessPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        var endpoints = app.MapPushEx();
        configureEndpoints?.Invoke(endpoints);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new PushExTestHost(app, new Uri(address));
    }

    /// <summary>The status code of the readiness endpoint (200 ready, 503 not).</summary>
    public async Task<int> ReadinessAsync()
    {
        using var http = CreateHttpClient();
        using var response = await http.GetAsync(new Uri(ReadinessPath, UriKind.Relative));
        return (int)response.StatusCode;
    }

    /// <summary>An HTTP client for the host's address.</summary>
    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The socket URL with the given query, e.g. <c>ws://127.0.0.1:PORT/push_socket/websocket?vsn=2.0.0</c>.</summary>
    public Uri SocketUri(string query = "vsn=2.0.0", string socketPath = "/push_socket") =>
        new($"{(BaseAddress.Scheme == Uri.UriSchemeHttps ? "wss" : "ws")}://{BaseAddress.Authority}{socketPath}/websocket{(query.Length > 0 ? "?" + query : string.Empty)}");

    public T GetRequiredService<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    public async Task StopAsync() => await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
    }
}
