using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PushEx.PubSub;

namespace PushEx.AspNetCore.Rebalancing;

/// <summary>
/// Refuses the rebalancer without a cluster backplane, when the host starts: a single node has nobody to balance with,
/// so <c>Enabled</c> there is a mistake (a missing <c>AddRedis</c>) that a warning would let go unnoticed.
/// </summary>
internal sealed class RebalanceClusterValidator(IServiceProviderIsService services) : IValidateOptions<PushExOptions>
{
    public ValidateOptionsResult Validate(string? name, PushExOptions options) =>
        options.Rebalance.Enabled && !services.IsService(typeof(IClusterLoad))
            ? ValidateOptionsResult.Fail(
                "PushEx:Rebalance:Enabled needs the Redis backplane (AddPushEx().AddRedis(…)): the nodes share their socket counts through it, and a single node has no other to balance with.")
            : ValidateOptionsResult.Success;
}
