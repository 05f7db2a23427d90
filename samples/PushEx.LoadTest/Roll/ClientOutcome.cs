namespace PushEx.LoadTest.Roll;

/// <summary>
/// One client's record at the end of a run, whichever kind it was (<c>v2</c> from this process, <c>pushex</c> or
/// <c>phoenix</c> from tests/js/roll-client.mjs): what it received per topic and how its connection fared.
/// </summary>
internal sealed record ClientOutcome(
    string Kind,
    string User,
    IReadOnlyList<TopicReceipts> Receipts,
    TimeSpan Disconnected,
    bool Connected,
    bool Joined,
    int Drops,
    int Reconnects,
    int RecoveriesOk,
    int RecoveriesFailed)
{
    public static ClientOutcome Of(RollClient client)
    {
        lock (client.Sync)
        {
            return new ClientOutcome("v2", client.User, client.Receipts, client.Disconnected, client.IsConnected, client.IsJoined,
                client.Drops, client.Reconnects, client.RecoveriesOk, client.RecoveriesFailed);
        }
    }
}
