using System.Text.Json.Nodes;
using PushEx.LoadTest.Scenarios;

namespace PushEx.LoadTest.Roll;

/// <summary>
/// The figures of one roll run. Loss and duplicates are counted per client against the pusher's ground truth: a client
/// expects every seq of its topics that the API accepted (200) after the client's first join; lost is what it never
/// received, duplicated is every reception beyond a seq's first. Disconnected time is per client, from losing a joined
/// connection until every topic's rejoin was answered; clients that never dropped count as 0 in the percentiles.
/// </summary>
internal sealed class RollResult
{
    public required string Target { get; init; }

    public required int Clients { get; init; }

    public required int NpmClients { get; init; }

    public required long PushesAcceptedUser { get; init; }

    public required long PushesAcceptedShared { get; init; }

    public long PushesAccepted => PushesAcceptedUser + PushesAcceptedShared;

    public required long PushesFailed { get; init; }

    public required IReadOnlyDictionary<string, int> PushFailures { get; init; }

    public required TimeSpan PushDuration { get; init; }

    /// <summary>Deliveries the clients should have had: per client, the accepted seqs of its topics after its first join.</summary>
    public required long Expected { get; init; }

    /// <summary>Expected deliveries that arrived (once or more).</summary>
    public required long Delivered { get; init; }

    public required long Lost { get; init; }

    public required long Duplicated { get; init; }

    /// <summary>Seqs received that were not expected: a push whose API call failed (timeout, 502) yet went out.</summary>
    public required long Unexpected { get; init; }

    public required int ClientsWithLoss { get; init; }

    public required int ClientsWithDuplicates { get; init; }

    /// <summary>By the history's offsets (raw V2 clients, history on): positions skipped within an epoch.</summary>
    public required long OffsetGaps { get; init; }

    /// <summary>By the history's offsets: pushes whose offset was not past the previous one's in the same epoch.</summary>
    public required long OffsetRepeats { get; init; }

    public required long EpochChanges { get; init; }

    public required long RecoveriesOk { get; init; }

    public required long RecoveriesFailed { get; init; }

    public required TimeSpan DisconnectedP50 { get; init; }

    public required TimeSpan DisconnectedP99 { get; init; }

    public required TimeSpan DisconnectedMax { get; init; }

    /// <summary>Clients whose connection ended under them at least once.</summary>
    public required int ClientsDropped { get; init; }

    public required long Drops { get; init; }

    public required long Reconnects { get; init; }

    public required int ConnectedAtEnd { get; init; }

    public required int JoinedAtEnd { get; init; }

    /// <summary>The most sockets the raw V2 clients opened in one second once pushing began (all nodes together).</summary>
    public required int PeakReconnectsPerSecond { get; init; }

    /// <summary>How long the wait for in-flight deliveries took after pushing stopped, and whether it saw everything arrive.</summary>
    public required TimeSpan Settle { get; init; }

    public required bool Settled { get; init; }

    /// <summary>Per node from HAProxy's runtime API after the run; empty without <see cref="RollSettings.HaproxySocket"/>.</summary>
    public required IReadOnlyList<NodeStat> Nodes { get; init; }

    /// <summary>A few users that lost or repeated pushes, for a look at the server's logs.</summary>
    public required IReadOnlyList<string> Examples { get; init; }

    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>Every client ended connected and joined, and nothing accepted was lost or repeated.</summary>
    public bool Clean => Lost == 0 && Duplicated == 0 && JoinedAtEnd == Clients + NpmClients;

    public ScenarioResult ToScenarioResult()
    {
        var result = new ScenarioResult("roll", Target);
        result.Add("clients", "clients (raw V2)", Clients);
        result.Add("npm_clients", "clients (npm pushex/phoenix)", NpmClients);
        result.Add("pushes_accepted", "pushes accepted", PushesAccepted);
        result.Add("pushes_accepted_user", "  to user topics", PushesAcceptedUser);
        result.Add("pushes_accepted_shared", "  to shared topics", PushesAcceptedShared);
        result.Add("pushes_failed", "pushes refused or failed", PushesFailed);
        result.Add("push_seconds", "pushing for", PushDuration.TotalSeconds, "s", 1);
        result.Add("expected", "deliveries expected", Expected);
        result.Add("delivered", "delivered", Delivered);
        result.Add("lost", "lost", Lost);
        result.Add("duplicated", "duplicated", Duplicated);
        result.Add("unexpected", "received, not accepted", Unexpected);
        result.Add("clients_with_loss", "clients with loss", ClientsWithLoss);
        result.Add("clients_with_duplicates", "clients with duplicates", ClientsWithDuplicates);
        result.Add("offset_gaps", "offsets skipped (V2)", OffsetGaps);
        result.Add("offset_repeats", "offsets repeated (V2)", OffsetRepeats);
        result.Add("epoch_changes", "epoch changes (V2)", EpochChanges);
        result.Add("recoveries_ok", "recovery events ok (V2)", RecoveriesOk);
        result.Add("recoveries_failed", "recovery events failed (V2)", RecoveriesFailed);
        result.Add("disconnected_p50_ms", "disconnected p50", DisconnectedP50.TotalMilliseconds, "ms");
        result.Add("disconnected_p99_ms", "disconnected p99", DisconnectedP99.TotalMilliseconds, "ms");
        result.Add("disconnected_max_ms", "disconnected max", DisconnectedMax.TotalMilliseconds, "ms");
        result.Add("clients_dropped", "clients dropped at least once", ClientsDropped);
        result.Add("drops", "connections dropped", Drops);
        result.Add("reconnects", "reconnects", Reconnects);
        result.Add("peak_reconnects_per_s", "peak reconnects/s (V2, all nodes)", PeakReconnectsPerSecond, "/s");
        result.Add("connected_end", "connected at the end", ConnectedAtEnd);
        result.Add("joined_end", "connected and joined at the end", JoinedAtEnd);
        result.Add("settle_ms", Settled ? "settled in" : "settle gave up after", Settle.TotalMilliseconds, "ms");
        foreach (var node in Nodes)
        {
            result.Note($"node {node.Name}: {node.Status}, {node.Current} sessions now, peak {node.PeakConnectsPerSecond} connects/s sampled, " +
                $"rate_max {node.PeakSessionRate}/s (pushes included), {node.Total} sessions in all");
        }

        foreach (var (reason, count) in PushFailures)
        {
            result.Note($"push failures: {count} × {reason}");
        }

        if (Examples.Count > 0)
        {
            result.Note($"e.g. {string.Join("; ", Examples)}");
        }

        foreach (var note in Notes)
        {
            result.Note(note);
        }

        return result;
    }

    public void Print(TextWriter output) => ToScenarioResult().Print(output);

    /// <summary>The scenario's JSON (scenario, target, at, metrics, notes) plus <c>nodes</c> and <c>push_failures</c>.</summary>
    public JsonObject ToJson()
    {
        var json = ToScenarioResult().ToJson();
        json["clean"] = Clean;
        json["settled"] = Settled;
        json["nodes"] = new JsonArray([.. Nodes.Select(node => (JsonNode)new JsonObject
        {
            ["name"] = node.Name,
            ["status"] = node.Status,
            ["current"] = node.Current,
            ["peak_connects_per_s"] = node.PeakConnectsPerSecond,
            ["rate_max"] = node.PeakSessionRate,
            ["total"] = node.Total,
            ["connects"] = node.Connects,
        })]);
        var failures = new JsonObject();
        foreach (var (reason, count) in PushFailures)
        {
            failures[reason] = count;
        }

        json["push_failures"] = failures;
        json["examples"] = new JsonArray([.. Examples.Select(example => (JsonNode?)JsonValue.Create(example))]);
        return json;
    }

    public string ToJsonString() => ToJson().ToJsonString(JsonOutput.Options);
}
