using Microsoft.Extensions.Diagnostics.HealthChecks;
using PushEx.AspNetCore.Shutdown;
using PushEx.PubSub;

namespace PushEx.AspNetCore.Health;

/// <summary>
/// Readiness: unhealthy from the moment the host begins stopping, so the load balancer sends no new clients here,
/// and while the cluster backplane is unreachable, since pushes posted here could not reach other nodes. Degraded
/// (still ready: HTTP 200 by default) while only part of it is, a Redis Cluster shard without a master: every node has
/// the same outage, and the sockets and the other shards' topics work.
/// Registered by <c>AddPushEx</c> as <c>pushex</c> with the tag <c>ready</c>:
/// <c>app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") })</c>.
/// </summary>
internal sealed class PushExReadinessCheck(DrainState drain, IPubSubAdapter backplane) : IHealthCheck
{
    public const string Name = "pushex";
    public const string ReadyTag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            drain.IsDraining ? HealthCheckResult.Unhealthy("PushEx is draining for shutdown.")
            : !backplane.IsAvailable ? HealthCheckResult.Unhealthy("The PushEx backplane (Redis) is unreachable.")
            : backplane.IsDegraded ? HealthCheckResult.Degraded("Part of the PushEx backplane (a Redis Cluster shard) is unreachable; pushes to its topics are refused.")
            : HealthCheckResult.Healthy());
}
