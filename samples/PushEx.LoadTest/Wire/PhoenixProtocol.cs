using System.Text;

namespace PushEx.LoadTest.Wire;

/// <summary>
/// PushEx's Phoenix Channels frames (PROTOCOL.md §2.2, §2.3, §3): join <c>["1","1",topic,"phx_join",{}]</c> (V2) or
/// the V1 object; heartbeat on topic <c>phoenix</c>; pushes arrive as event <c>msg</c> with <c>{"data":…,"event":…}</c>.
/// </summary>
internal sealed class PhoenixProtocol(PhoenixProtocol.Version version) : ClientProtocol
{
    private static readonly byte[] V2Heartbeat = """[null,"h","phoenix","heartbeat",{}]"""u8.ToArray();
    private static readonly byte[] V1Heartbeat = """{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"h"}"""u8.ToArray();

    public enum Version
    {
        V1,
        V2,
    }

    public override string Name => version == Version.V2 ? "pushex-v2" : "pushex-v1";

    public override string Path => version == Version.V2 ? "/push_socket/websocket?vsn=2.0.0" : "/push_socket/websocket";

    public override TimeSpan KeepAliveInterval => TimeSpan.FromSeconds(30);

    public override ReadOnlyMemory<byte> KeepAliveFrame => version == Version.V2 ? V2Heartbeat : V1Heartbeat;

    public override IReadOnlyList<ReadOnlyMemory<byte>> JoinFrames(string topic) =>
    [
        Encoding.UTF8.GetBytes(version == Version.V2
            ? $$"""["1","1","{{topic}}","phx_join",{}]"""
            : $$"""{"topic":"{{topic}}","event":"phx_join","payload":{},"ref":"1","join_ref":"1"}"""),
    ];

    // A side topic is joined with join ref "s", and left with the same join ref (a leave naming another is not answered).
    public override ReadOnlyMemory<byte> SideFrame(string topic, bool join) =>
        Encoding.UTF8.GetBytes((version, join) switch
        {
            (Version.V2, true) => $$"""["s","s","{{topic}}","phx_join",{}]""",
            (Version.V2, false) => $$"""["s","sl","{{topic}}","phx_leave",{}]""",
            (_, true) => $$"""{"topic":"{{topic}}","event":"phx_join","payload":{},"ref":"s","join_ref":"s"}""",
            (_, false) => $$"""{"topic":"{{topic}}","event":"phx_leave","payload":{},"ref":"sl","join_ref":"s"}""",
        });

    public override void Dispatch(ReadOnlySpan<byte> message, IProtocolEvents events)
    {
        // Pushes are by far the commonest message, so they are recognised first.
        if (message.IndexOf("\"msg\""u8) >= 0 && TryReadTimestamp(message, out var sent))
        {
            events.OnPush(sent);
            return;
        }

        // Side topics: their replies count apart, and the phx_close that follows a leave does not end the client's own join.
        if (message.IndexOf("\"side:"u8) >= 0)
        {
            if (message.IndexOf("\"phx_reply\""u8) >= 0)
            {
                events.OnSideReply(message.IndexOf("\"status\":\"ok\""u8) >= 0);
            }

            return;
        }

        if (message.IndexOf("\"phx_reply\""u8) >= 0)
        {
            // Heartbeat replies are on topic "phoenix"; the only other request a client makes is its join.
            if (message.IndexOf("\"phoenix\""u8) < 0)
            {
                events.OnJoinReply(message.IndexOf("\"status\":\"ok\""u8) >= 0);
            }

            return;
        }

        if (message.IndexOf("\"phx_close\""u8) >= 0 || message.IndexOf("\"phx_error\""u8) >= 0)
        {
            events.OnJoinReply(false);
        }
    }
}
