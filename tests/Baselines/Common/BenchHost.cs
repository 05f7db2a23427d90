using System.Runtime;

namespace Baselines.Common;

/// <summary>
/// What both baseline servers share, so that they differ only in the push stack: Kestrel's accept backlog, quiet
/// logging, <c>GET /gc</c> (a forced, compacting full collection, then the managed heap and the working set) and
/// <c>GET /stats</c> (open connections, process id, bytes allocated so far).
/// </summary>
public static class BenchHost
{
    public static void Configure(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // The kernel caps the backlog at net.core.somaxconn; Kestrel's default of 512 would drop SYNs in a reconnect storm.
        builder.WebHost.UseSockets(options => options.Backlog = 4096);
        builder.WebHost.ConfigureKestrel(options => options.AddServerHeader = false);

        // Per-request Information logs would cost more than the pushes being measured.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
    }

    public static void MapEndpoints(WebApplication app, Func<int> connections)
    {
        ArgumentNullException.ThrowIfNull(app);

        app.MapGet("/gc", () =>
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            return Results.Json(new GcReport(GC.GetTotalMemory(forceFullCollection: false), Environment.WorkingSet, connections()));
        });

        // Allocated bytes over a run, divided by its deliveries, gives the server's allocation per delivery.
        app.MapGet("/stats", () => Results.Json(new StatsReport(connections(), Environment.ProcessId, GC.GetTotalAllocatedBytes(precise: true))));
    }

    private sealed record GcReport(long ManagedBytes, long WorkingSetBytes, int Connections);

    private sealed record StatsReport(int Connections, int ProcessId, long AllocatedBytes);
}
