using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace PushEx.LoadTest.Roll;

/// <summary>
/// A rolling deploy seen from the clients (issue 12): clients through the load balancer, each joined to its own
/// <c>user:ID</c> and to the shared topics, pushes at a steady rate to both kinds until <c>stop</c>, then a short settle
/// for the deliveries in flight. Whoever calls it rolls the nodes meanwhile (deploy/local/cluster.sh roll); the result
/// says what the clients lost, repeated and waited.
/// </summary>
internal static partial class RollScenario
{
    private static readonly TimeSpan ClientStopTimeout = TimeSpan.FromSeconds(10);

    public static async Task<RollResult> RunAsync(RollSettings settings, TextWriter log, CancellationToken stop)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(settings.Clients);
        ArgumentOutOfRangeException.ThrowIfNegative(settings.NpmClients);
        var notes = new List<string>
        {
            $"reconnect: first after {settings.FirstReconnectDelay.TotalSeconds:0.###} s × [0.5, 1.5] (after a 1012: uniform in [0, that]), " +
            "then pushex.js's 3, 6, 10, 20, 30 s ± 20 %; disconnected time counts clients that never dropped as 0",
        };
        var shared = settings.SharedTopics.Select(topic => new TopicLedger(topic)).ToList();
        var users = Enumerable.Range(1, settings.Clients + settings.NpmClients).Select(n => settings.UserPrefix + n).ToList();
        var userTopics = users.Select(user => new TopicLedger($"user:{user}")).ToList();
        var connects = new ConnectCounter(settings.StartTimeout + settings.MaxDuration + settings.Settle + TimeSpan.FromMinutes(2));
        var clients = Enumerable.Range(0, settings.Clients)
            .Select(i => new RollClient(users[i], [userTopics[i], .. shared], settings, connects))
            .ToList();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await log.WriteLineAsync($"roll: {settings.Clients} clients (+{settings.NpmClients} npm) through {settings.Url}, topics user:{settings.UserPrefix}N and {string.Join(", ", settings.SharedTopics)}").ConfigureAwait(false);
        var tokens = await FetchTokensAsync(http, settings.Url, users.Take(settings.Clients).ToList(), stop).ConfigureAwait(false);

        using var clientsStop = new CancellationTokenSource();
        using var firstConnect = new SemaphoreSlim(Math.Max(1, settings.ConnectConcurrency));
        var runs = clients.Select((client, i) => Task.Run(() => client.RunAsync(SocketUri(settings.Url, tokens[i]), firstConnect, clientsStop.Token))).ToList();
        await using var npm = settings.NpmClients > 0
            ? NpmClientFleet.Start(settings, users.Skip(settings.Clients).ToList(), userTopics.Skip(settings.Clients).ToList(), shared, log)
            : null;

        var startDeadline = Stopwatch.GetTimestamp() + (long)(settings.StartTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!stop.IsCancellationRequested && Stopwatch.GetTimestamp() < startDeadline
            && (clients.Any(client => !client.IsJoined) || npm?.Ready == false))
        {
            await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
        }

        var joinedAtStart = clients.Count(client => client.IsJoined);
        await log.WriteLineAsync($"roll: {joinedAtStart}/{clients.Count} clients joined{(npm is null ? "" : npm.Ready ? ", npm clients joined" : ", npm clients NOT all joined")}; pushing until stopped").ConfigureAwait(false);
        if (joinedAtStart < clients.Count)
        {
            notes.Add($"only {joinedAtStart} of {clients.Count} clients had joined when pushing began; the others expect what was pushed after their first join");
        }

        npm?.ExpectFromNow();
        var pushStart = Stopwatch.GetTimestamp();
        using var samplingStop = new CancellationTokenSource();
        var haproxy = settings.HaproxySocket is { } socketPath ? new HaproxyStats(socketPath) : null;
        var sampling = haproxy?.SampleAsync(log, samplingStop.Token) ?? Task.CompletedTask;

        using var pusher = new RollPusher(settings);
        using var pushStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        pushStop.CancelAfter(settings.MaxDuration);
        var progress = ReportProgressAsync(log, pusher, clients, pushStop.Token);
        settings.PushingStarted?.Invoke();
        await pusher.RunAsync(userTopics, shared, pushStop.Token).ConfigureAwait(false);
        await progress.ConfigureAwait(false);
        if (!stop.IsCancellationRequested)
        {
            notes.Add($"pushing stopped at the {settings.MaxDuration} limit, not by a stop signal");
        }

        var (settle, settled) = await SettleAsync(clients, settings.Settle).ConfigureAwait(false);
        var connectedAtEnd = clients.Count(client => client.IsConnected);
        var joinedAtEnd = clients.Count(client => client.IsJoined);
        var outcomes = clients.Select(ClientOutcome.Of).ToList();
        var nodes = await ReadNodesAsync(haproxy, log).ConfigureAwait(false);
        await samplingStop.CancelAsync().ConfigureAwait(false);
        await sampling.ConfigureAwait(false);

        await clientsStop.CancelAsync().ConfigureAwait(false);
        var allStopped = Task.WhenAll(runs);
        if (await Task.WhenAny(allStopped, Task.Delay(ClientStopTimeout, CancellationToken.None)).ConfigureAwait(false) != allStopped)
        {
            notes.Add("some clients did not stop within 10 s");
        }

        if (npm is not null)
        {
            var npmOutcomes = await npm.StopAsync().ConfigureAwait(false);
            outcomes.AddRange(npmOutcomes);
            connectedAtEnd += npmOutcomes.Count(outcome => outcome.Connected);
            joinedAtEnd += npmOutcomes.Count(outcome => outcome.Joined);
            notes.AddRange(npm.Notes);
        }

        return Tally(settings, outcomes, pusher, connects.Peak(pushStart), connectedAtEnd, joinedAtEnd, settle, settled, nodes, notes);
    }

    private static async Task<string[]> FetchTokensAsync(HttpClient http, Uri server, List<string> users, CancellationToken stop)
    {
        var tokens = new string[users.Count];
        using var gate = new SemaphoreSlim(32);
        await Task.WhenAll(users.Select(async (user, i) =>
        {
            await gate.WaitAsync(stop).ConfigureAwait(false);
            try
            {
                var reply = await http.GetFromJsonAsync<TokenReply>(new Uri(server, $"/token?user={Uri.EscapeDataString(user)}"), stop).ConfigureAwait(false);
                tokens[i] = reply?.Token ?? throw new InvalidOperationException($"GET /token?user={user} answered no token.");
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
        return tokens;
    }

    /// <summary><c>ws://host/push_socket/websocket?vsn=2.0.0&amp;token=…</c>: what pushex.js connects to.</summary>
    public static Uri SocketUri(Uri server, string token)
    {
        var builder = new UriBuilder(server)
        {
            Scheme = server.Scheme == "https" ? "wss" : "ws",
            Path = "/push_socket/websocket",
            Query = $"token={Uri.EscapeDataString(token)}&vsn=2.0.0",
        };
        return builder.Uri;
    }

    private static async Task ReportProgressAsync(TextWriter log, RollPusher pusher, List<RollClient> clients, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                await log.WriteLineAsync(
                    $"roll: {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s, pushes accepted {pusher.UserAccepted + pusher.SharedAccepted} " +
                    $"(failed {pusher.Failed}), connected {clients.Count(client => client.IsConnected)}, joined {clients.Count(client => client.IsJoined)} of {clients.Count}")
                    .ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Pushing stopped.
        }
    }

    // Waits until every raw client has every accepted push of its topics, or the settle time passed.
    private static async Task<(TimeSpan Settle, bool Settled)> SettleAsync(List<RollClient> clients, TimeSpan limit)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var missing = clients.Sum(client =>
            {
                lock (client.Sync)
                {
                    return client.Receipts.Sum(receipts => receipts.Missing());
                }
            });
            if (missing == 0 || Stopwatch.GetElapsedTime(started) >= limit)
            {
                return (Stopwatch.GetElapsedTime(started), missing == 0);
            }

            await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task<IReadOnlyList<NodeStat>> ReadNodesAsync(HaproxyStats? haproxy, TextWriter log)
    {
        if (haproxy is null)
        {
            return [];
        }

        try
        {
            return await haproxy.ReadAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or OperationCanceledException or FormatException)
        {
            await log.WriteLineAsync($"roll: cannot read HAProxy stats: {ex.Message}").ConfigureAwait(false);
            return [];
        }
    }

    private sealed record TokenReply([property: JsonPropertyName("token")] string? Token);
}
