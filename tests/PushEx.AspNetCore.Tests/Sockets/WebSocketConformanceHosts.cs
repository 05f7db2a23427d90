using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Sockets;

/// <summary>
/// The servers <see cref="WebSocketConformanceTests"/> share: one with the default options, and one whose frame limit
/// is small (<see cref="SmallFrameLimit"/> bytes) so that the limit is cheap to reach. Each test opens its own
/// connections, so sharing the servers costs no isolation and keeps the class fast.
/// </summary>
public sealed class WebSocketConformanceHosts : IAsyncLifetime
{
    /// <summary>PushEx:MaxFrameBytes of <see cref="SmallFrames"/>, the smallest the options allow.</summary>
    public const int SmallFrameLimit = 1024;

    private PushExTestHost? _default;
    private PushExTestHost? _smallFrames;

    public PushExTestHost Default => _default ?? throw new InvalidOperationException("Not started.");

    public PushExTestHost SmallFrames => _smallFrames ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync()
    {
        _default = await PushExTestHost.StartAsync();
        _smallFrames = await PushExTestHost.StartAsync(options => options.MaxFrameBytes = SmallFrameLimit);
    }

    public async ValueTask DisposeAsync()
    {
        if (_smallFrames is not null)
        {
            await _smallFrames.DisposeAsync();
        }

        if (_default is not null)
        {
            await _default.DisposeAsync();
        }
    }
}
