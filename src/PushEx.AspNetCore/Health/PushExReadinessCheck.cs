using Microsoft.Extensions.Diagnostics.HealthChecks;
using PushEx.AspNetCore.Shutdown;

namespace PushEx.AspNetCore.Health;

/// <summary>
/// Readiness: unhealthy from the moment the host begins stopping, so the load balancer sends no new clients here.
/// Registered by <c>AddPushEx</c> as <c>pushex</c> with the tag <c>ready</c>:
/// <c>app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") })</c>.
/// </summary>
internal sealed class PushExReadinessCheck(DrainState drain) : IHealthCheck
{
    public const string Name = "pushex";
    public const string ReadyTag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(drain.IsDraining
            ? HealthCheckResult.Unhealthy("PushEx is draining for shutdown.")
            : HealthCheckResult.Healthy());
}
