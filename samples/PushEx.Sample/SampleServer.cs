using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace PushEx.Sample;

/// <summary>
/// Builds the sample app (the counterpart of the original's test_frontend_socket), so tests can start exactly
/// what <c>dotnet run</c> starts.
/// </summary>
public static class SampleServer
{
    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);

        // Sockets run on Kestrel's connection, with nothing of their HTTP request kept (a third of the memory).
        builder.WebHost.UsePushExTransport();

        builder.Services.AddSingleton<DemoTokens>();
        var pushEx = builder.Services.AddPushEx()
            .AddSocketHandler<SampleSocketHandler>()
            .AddApiAuthorizer<ApiKeyAuthorizer>()
            .AddInstrumentation<LoggingInstrumentation>();

        // A cluster when PushEx:Redis is set (e.g. PushEx__Redis=localhost:6379); one node in memory otherwise.
        if (builder.Configuration["PushEx:Redis"] is { Length: > 0 } redis)
        {
            pushEx.AddRedis(redis);
        }

        var app = builder.Build();

        app.UseDefaultFiles();
        app.UseStaticFiles();

        // Demo login: anyone may ask for a token for any user id. A real app issues tokens after signing the user in.
        app.MapGet("/token", (string? user, DemoTokens tokens) =>
            string.IsNullOrWhiteSpace(user) || user.Length > 64
                ? Results.BadRequest(new { error = "Pass ?user=ID (at most 64 characters)." })
                : Results.Ok(new { token = tokens.Issue(user) }));

        // The original's custom route example.
        app.MapGet("/status", () => Results.Text("OK"));

        // Readiness (the pushex check: unhealthy while draining or while Redis is unreachable) takes the node out of the
        // load balancer; liveness runs no check, so a Redis outage or a drain never gets the process restarted.
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapPushEx();
        return app;
    }
}
