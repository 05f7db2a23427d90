namespace PushEx.LoadTest.Roll;

/// <summary>
/// One node as HAProxy's runtime API sees it (<c>show stat</c>, backend <c>pushex_nodes</c>): its health, current
/// sessions (<c>scur</c>), peak new sessions per second (<c>rate_max</c>, pushes included), sessions in all
/// (<c>stot</c>), and the most new connections to it in one second as sampled by the scenario (the <c>connect</c>
/// column's growth: sockets, since push requests reuse HAProxy's idle connections).
/// </summary>
internal sealed record NodeStat(string Name, string Status, long Current, long PeakSessionRate, long Total, long Connects, long PeakConnectsPerSecond);
