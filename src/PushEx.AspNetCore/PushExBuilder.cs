namespace Microsoft.Extensions.DependencyInjection;

internal sealed class PushExBuilder(IServiceCollection services) : IPushExBuilder
{
    public IServiceCollection Services { get; } = services;
}
