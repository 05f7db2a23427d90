using System.Globalization;
namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>Who serves which slot, shard channels' subscribers, replication, and moving a slot as a reshard does.</summary>
public sealed partial class RedisCluster
{
    /// <summary>The port of the master that serves <paramref name="slot"/> now, as <c>CLUSTER NODES</c> on a running server says.</summary>
    public async Task<int> SlotOwnerAsync(int slot, CancellationToken cancellationToken = default)
    {
        foreach (var node in await NodesAsync(cancellationToken))
        {
            if (node.IsMaster && node.Slots.Any(range => range.From <= slot && slot <= range.To))
            {
                return node.Port;
            }
        }

        throw new InvalidOperationException($"No master serves slot {slot}.");
    }

    /// <summary>The port of the master that serves <paramref name="key"/>'s slot now.</summary>
    public async Task<int> MasterOfKeyAsync(string key, CancellationToken cancellationToken = default) =>
        await SlotOwnerAsync(await KeySlotAsync(key, cancellationToken), cancellationToken);

    /// <summary><c>CLUSTER KEYSLOT</c>: the slot of a key, or of a shard channel, which is hashed the same way.</summary>
    public async Task<int> KeySlotAsync(string key, CancellationToken cancellationToken = default) =>
        int.Parse((await CliAsync(Ports.First(_processes.ContainsKey), ["CLUSTER", "KEYSLOT", key], cancellationToken)).Trim(), CultureInfo.InvariantCulture);

    /// <summary>One topic per master now: the first <c>room:N</c> whose history key (under <paramref name="prefix"/>) that master serves.</summary>
    public async Task<IReadOnlyList<(string Topic, int MasterPort)>> TopicPerMasterAsync(string prefix, CancellationToken cancellationToken = default)
    {
        await ReadMastersAsync(cancellationToken);
        var topics = new List<(string Topic, int MasterPort)>();
        for (var n = 0; topics.Count < MasterPorts.Count; n++)
        {
            Assert.True(n < 1000, "No topics found for every master.");
            var topic = $"room:{n}";
            var master = await MasterOfKeyAsync($"{prefix}h:{{t:{topic}}}:meta", cancellationToken);
            if (!topics.Any(existing => existing.MasterPort == master))
            {
                topics.Add((topic, master));
            }
        }

        Assert.Equal(MasterPorts, topics.Select(topic => topic.MasterPort).Order());
        return topics;
    }

    /// <summary><c>PUBSUB SHARDNUMSUB</c> of <paramref name="channel"/> on the server at <paramref name="port"/>.</summary>
    public static async Task<long> ShardSubscribersAsync(int port, string channel, CancellationToken cancellationToken = default) =>
        SecondLine(await CliAsync(port, ["PUBSUB", "SHARDNUMSUB", channel], cancellationToken));

    /// <summary><c>PUBSUB NUMSUB</c> of <paramref name="channel"/> on the server at <paramref name="port"/>.</summary>
    public static async Task<long> ClassicSubscribersAsync(int port, string channel, CancellationToken cancellationToken = default) =>
        SecondLine(await CliAsync(port, ["PUBSUB", "NUMSUB", channel], cancellationToken));

    /// <summary>Waits (bounded) until the replica of the master at <paramref name="masterPort"/> has every write the master took.</summary>
    public static async Task WaitUntilReplicatedAsync(int masterPort, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            var info = await CliAsync(masterPort, ["INFO", "replication"], cancellationToken);
            var masterOffset = Field(info, "master_repl_offset");
            var replicaOffset = info.Split('\n').Where(line => line.StartsWith("slave0:", StringComparison.Ordinal))
                .Select(line => line.Split(',').First(part => part.StartsWith("offset=", StringComparison.Ordinal))["offset=".Length..])
                .FirstOrDefault();
            if (replicaOffset is not null && replicaOffset.Trim() == masterOffset)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The replica of {masterPort} did not catch up within {StartTimeout.TotalSeconds:0} s:\n{info}");
            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>
    /// Moves <paramref name="slot"/>, with its keys, to the master at <paramref name="toPort"/>, the way
    /// <c>redis-cli --cluster reshard</c> moves each slot: importing and migrating, <c>MIGRATE</c> of its keys, then
    /// <c>CLUSTER SETSLOT … NODE</c> on the new owner, the old one and the other masters.
    /// </summary>
    public async Task MoveSlotAsync(int slot, int toPort, CancellationToken cancellationToken = default)
    {
        var nodes = await NodesAsync(cancellationToken);
        var source = nodes.Single(node => node.IsMaster && node.Slots.Any(range => range.From <= slot && slot <= range.To));
        var target = nodes.Single(node => node.Port == toPort);
        var text = slot.ToString(CultureInfo.InvariantCulture);

        await CliAsync(target.Port, ["CLUSTER", "SETSLOT", text, "IMPORTING", source.Id], cancellationToken);
        await CliAsync(source.Port, ["CLUSTER", "SETSLOT", text, "MIGRATING", target.Id], cancellationToken);
        while (true)
        {
            var keys = (await CliAsync(source.Port, ["CLUSTER", "GETKEYSINSLOT", text, "100"], cancellationToken))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (keys.Length == 0)
            {
                break;
            }

            await CliAsync(source.Port, ["MIGRATE", "127.0.0.1", toPort.ToString(CultureInfo.InvariantCulture), "", "0", "5000", "KEYS", .. keys], cancellationToken);
        }

        foreach (var node in nodes.Where(node => node.IsMaster).OrderBy(node => node.Port == toPort ? 0 : node.Port == source.Port ? 1 : 2))
        {
            await CliAsync(node.Port, ["CLUSTER", "SETSLOT", text, "NODE", target.Id], cancellationToken);
        }
    }

    private async Task<List<ClusterNodeLine>> NodesAsync(CancellationToken cancellationToken)
    {
        var running = Ports.First(_processes.ContainsKey);
        var output = await CliAsync(running, ["CLUSTER", "NODES"], cancellationToken);

        // "<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot> <slot>…"; a slot being moved is "[…]".
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Trim().Split(' '))
            .Where(fields => fields.Length >= 8)
            .Select(fields => new ClusterNodeLine(
                fields[0],
                int.Parse(fields[1].Split('@')[0].Split(':')[^1], CultureInfo.InvariantCulture),
                fields[2].Contains("master", StringComparison.Ordinal) && !fields[2].Contains("fail", StringComparison.Ordinal),
                [.. fields.Skip(8).Where(range => !range.StartsWith('[')).Select(ParseRange)]))];
    }

    private static (int From, int To) ParseRange(string range)
    {
        var parts = range.Split('-');
        var from = int.Parse(parts[0], CultureInfo.InvariantCulture);
        return (from, parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : from);
    }

    private static string Field(string info, string name) =>
        info.Split('\n').First(line => line.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

    // redis-cli prints an array reply without a terminal one item a line: channel, then count.
    private static long SecondLine(string output) =>
        long.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Trim(), CultureInfo.InvariantCulture);

    private sealed record ClusterNodeLine(string Id, int Port, bool IsMaster, IReadOnlyList<(int From, int To)> Slots);
}
