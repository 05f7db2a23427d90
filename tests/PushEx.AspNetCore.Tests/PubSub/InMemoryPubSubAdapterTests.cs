using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.PubSub;

public sealed class InMemoryPubSubAdapterTests : PubSubAdapterSpecification
{
    protected override Task<PushExTestHost> StartHostAsync(Action<PushExOptions>? configureOptions = null) => PushExTestHost.StartAsync(configureOptions);
}
