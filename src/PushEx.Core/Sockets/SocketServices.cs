using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PushEx.Topics;

namespace PushEx.Sockets;

/// <summary>The node-wide parts every <see cref="PushSocket"/> uses, created once and shared.</summary>
internal sealed class SocketServices(
    ISocketHandler handler,
    TopicRegistry topics,
    SocketRegistry sockets,
    IOptions<PushExOptions> options,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory)
{
    public ISocketHandler Handler { get; } = handler;

    public TopicRegistry Topics { get; } = topics;

    public SocketRegistry Sockets { get; } = sockets;

    public PushExOptions Options { get; } = options.Value;

    public TimeProvider TimeProvider { get; } = timeProvider;

    public ILogger SocketLogger { get; } = loggerFactory.CreateLogger("PushEx.Sockets.PushSocket");
}
