namespace PushEx.LoadTest.Roll;

/// <summary>The roll's figures from every client's record and the pusher's ground truth.</summary>
internal static partial class RollScenario
{
    private const int MaxExamples = 5;

    private static RollResult Tally(
        RollSettings settings,
        List<ClientOutcome> outcomes,
        RollPusher pusher,
        int peakReconnects,
        int connectedAtEnd,
        int joinedAtEnd,
        TimeSpan settle,
        bool settled,
        IReadOnlyList<NodeStat> nodes,
        List<string> notes)
    {
        long expected = 0, delivered = 0, duplicated = 0, unexpected = 0, gaps = 0, repeats = 0, epochs = 0;
        var (clientsWithLoss, clientsWithDuplicates) = (0, 0);
        var examples = new List<string>();
        foreach (var outcome in outcomes)
        {
            long clientLost = 0, clientDuplicated = 0;
            var lostTopics = new List<string>();
            var duplicatedTopics = new List<string>();
            foreach (var receipts in outcome.Receipts)
            {
                if (receipts.FirstExpected < 0)
                {
                    continue;
                }

                var seqs = receipts.Ledger.AcceptedFrom(receipts.FirstExpected);
                var got = seqs.Count(seq => receipts.TimesReceived(seq) > 0);
                expected += seqs.Length;
                delivered += got;
                clientLost += seqs.Length - got;
                var topicDuplicated = receipts.Duplicates();
                clientDuplicated += topicDuplicated;
                if (topicDuplicated > 0)
                {
                    duplicatedTopics.Add($"{topicDuplicated} on {receipts.Ledger.Topic}");
                }

                unexpected += receipts.Unexpected();
                gaps += receipts.OffsetGaps;
                repeats += receipts.OffsetRepeats;
                epochs += receipts.EpochChanges;
                if (seqs.Length > got)
                {
                    lostTopics.Add($"{seqs.Length - got} on {receipts.Ledger.Topic}");
                }
            }

            duplicated += clientDuplicated;
            clientsWithLoss += clientLost > 0 ? 1 : 0;
            clientsWithDuplicates += clientDuplicated > 0 ? 1 : 0;
            if ((clientLost > 0 || clientDuplicated > 0) && examples.Count < MaxExamples)
            {
                examples.Add($"{outcome.Kind} {outcome.User}: lost {(lostTopics.Count == 0 ? "0" : string.Join(", ", lostTopics))}, duplicated {(duplicatedTopics.Count == 0 ? "0" : string.Join(", ", duplicatedTopics))}, " +
                    $"{outcome.Drops} drops, disconnected {outcome.Disconnected.TotalMilliseconds:0} ms");
            }
        }

        var disconnected = outcomes.Select(outcome => outcome.Disconnected).Order().ToList();
        return new RollResult
        {
            Target = settings.Url.ToString(),
            Clients = settings.Clients,
            NpmClients = settings.NpmClients,
            PushesAcceptedUser = pusher.UserAccepted,
            PushesAcceptedShared = pusher.SharedAccepted,
            PushesFailed = pusher.Failed,
            PushFailures = new Dictionary<string, int>(pusher.Failures, StringComparer.Ordinal),
            PushDuration = pusher.Elapsed,
            Expected = expected,
            Delivered = delivered,
            Lost = expected - delivered,
            Duplicated = duplicated,
            Unexpected = unexpected,
            ClientsWithLoss = clientsWithLoss,
            ClientsWithDuplicates = clientsWithDuplicates,
            OffsetGaps = gaps,
            OffsetRepeats = repeats,
            EpochChanges = epochs,
            RecoveriesOk = outcomes.Sum(outcome => (long)outcome.RecoveriesOk),
            RecoveriesFailed = outcomes.Sum(outcome => (long)outcome.RecoveriesFailed),
            DisconnectedP50 = Percentile(disconnected, 0.50),
            DisconnectedP99 = Percentile(disconnected, 0.99),
            DisconnectedMax = disconnected.Count == 0 ? TimeSpan.Zero : disconnected[^1],
            ClientsDropped = outcomes.Count(outcome => outcome.Drops > 0),
            Drops = outcomes.Sum(outcome => (long)outcome.Drops),
            Reconnects = outcomes.Sum(outcome => (long)outcome.Reconnects),
            ConnectedAtEnd = connectedAtEnd,
            JoinedAtEnd = joinedAtEnd,
            PeakReconnectsPerSecond = peakReconnects,
            Settle = settle,
            Settled = settled,
            Nodes = nodes,
            Examples = examples,
            Notes = notes,
        };
    }

    // Nearest rank over every client, those that never dropped (0) included.
    private static TimeSpan Percentile(List<TimeSpan> sorted, double quantile) =>
        sorted.Count == 0 ? TimeSpan.Zero : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Count) - 1, 0, sorted.Count - 1)];
}
