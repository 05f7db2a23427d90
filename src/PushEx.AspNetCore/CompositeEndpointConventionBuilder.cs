using Microsoft.AspNetCore.Builder;

namespace PushEx.AspNetCore;

/// <summary>Applies a convention (authorization, CORS, rate limiting…) to every endpoint <c>MapPushEx</c> mapped.</summary>
internal sealed class CompositeEndpointConventionBuilder(IReadOnlyList<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
{
    public void Add(Action<EndpointBuilder> convention)
    {
        foreach (var builder in builders)
        {
            builder.Add(convention);
        }
    }

    public void Finally(Action<EndpointBuilder> finallyConvention)
    {
        foreach (var builder in builders)
        {
            builder.Finally(finallyConvention);
        }
    }
}
