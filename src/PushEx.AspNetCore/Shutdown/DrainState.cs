namespace PushEx.AspNetCore.Shutdown;

/// <summary>Set once the host begins stopping: readiness fails, upgrades get 503, API responses say <c>Connection: close</c>.</summary>
internal sealed class DrainState
{
    private volatile bool _isDraining;

    public bool IsDraining => _isDraining;

    public void Begin() => _isDraining = true;
}
