using Microsoft.AspNetCore.Http.Features;

namespace PushEx.AspNetCore.Sockets;

/// <summary>
/// Stands in for the server's upgrade features (HTTP/1.1 upgrade and HTTP/2 extended CONNECT) so that the
/// stream the WebSocket runs on is a <see cref="ClientActivityStream"/>.
/// </summary>
internal sealed class ActivityTrackingUpgradeFeature(IHttpUpgradeFeature? upgrade, IHttpExtendedConnectFeature? extendedConnect)
    : IHttpUpgradeFeature, IHttpExtendedConnectFeature
{
    public ClientActivityStream? Stream { get; private set; }

    public bool IsUpgradableRequest => upgrade?.IsUpgradableRequest ?? false;

    public bool IsExtendedConnect => extendedConnect?.IsExtendedConnect ?? false;

    public string? Protocol => extendedConnect?.Protocol;

    /// <summary>
    /// Puts itself in place of the request's upgrade features; call right before the endpoint's own WebSocket
    /// middleware. A handshake feature left by an app-level <c>UseWebSockets()</c> captured the original upgrade
    /// feature, so it is dropped and the endpoint's middleware builds a new one over this.
    /// </summary>
    public static void Install(IFeatureCollection features)
    {
        features.Set<IHttpWebSocketFeature>(null);
        var feature = new ActivityTrackingUpgradeFeature(features.Get<IHttpUpgradeFeature>(), features.Get<IHttpExtendedConnectFeature>());
        if (feature.IsUpgradableRequest)
        {
            features.Set<IHttpUpgradeFeature>(feature);
        }

        if (feature.IsExtendedConnect)
        {
            features.Set<IHttpExtendedConnectFeature>(feature);
        }

        features.Set(feature);
    }

    public async Task<Stream> UpgradeAsync() => Stream = new ClientActivityStream(await upgrade!.UpgradeAsync().ConfigureAwait(false));

    public async ValueTask<Stream> AcceptAsync() => Stream = new ClientActivityStream(await extendedConnect!.AcceptAsync().ConfigureAwait(false));
}
