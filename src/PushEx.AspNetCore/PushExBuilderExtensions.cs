using PushEx.Sockets;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the app's PushEx behaviours.</summary>
public static class PushExBuilderExtensions
{
    /// <summary>Registers the app's Socket behaviour as a singleton (it is called concurrently for many sockets).</summary>
    public static IPushExBuilder AddSocketHandler<THandler>(this IPushExBuilder builder)
        where THandler : class, ISocketHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<ISocketHandler, THandler>();
        return builder;
    }
}
