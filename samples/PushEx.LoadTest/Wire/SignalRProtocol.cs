using System.Text;

namespace PushEx.LoadTest.Wire;

/// <summary>
/// SignalR's JSON hub protocol over a WebSocket, without negotiation (as a client with SkipNegotiation does):
/// the handshake <c>{"protocol":"json","version":1}</c>, then the invocation <c>Join(topic)</c>; every record
/// ends with the record separator 0x1E. Pushes arrive as invocations of <c>msg(data, event)</c>; the server pings
/// with type 6 and so does the client.
/// </summary>
internal sealed class SignalRProtocol : ClientProtocol
{
    private const byte RecordSeparator = 0x1E;

    private static readonly byte[] Handshake = "{\"protocol\":\"json\",\"version\":1}\u001e"u8.ToArray();
    private static readonly byte[] Ping = "{\"type\":6}\u001e"u8.ToArray();

    public override string Name => "signalr";

    public override string Path => "/hub";

    public override TimeSpan KeepAliveInterval => TimeSpan.FromSeconds(15);

    public override ReadOnlyMemory<byte> KeepAliveFrame => Ping;

    public override IReadOnlyList<ReadOnlyMemory<byte>> JoinFrames(string topic) =>
    [
        Handshake,
        Encoding.UTF8.GetBytes($$"""{"type":1,"invocationId":"1","target":"Join","arguments":["{{topic}}"]}""" + "\u001e"),
    ];

    public override void Dispatch(ReadOnlySpan<byte> message, IProtocolEvents events)
    {
        while (!message.IsEmpty)
        {
            var end = message.IndexOf(RecordSeparator);
            var record = end >= 0 ? message[..end] : message;
            message = end >= 0 ? message[(end + 1)..] : [];
            DispatchRecord(record, events);
        }
    }

    private static void DispatchRecord(ReadOnlySpan<byte> record, IProtocolEvents events)
    {
        if (record.IndexOf("\"type\":1,"u8) >= 0)
        {
            if (record.IndexOf("\"target\":\"msg\""u8) >= 0 && TryReadTimestamp(record, out var sent))
            {
                events.OnPush(sent);
            }
        }
        else if (record.IndexOf("\"type\":3"u8) >= 0)
        {
            events.OnJoinReply(record.IndexOf("\"error\""u8) < 0);
        }
        else if (record.IndexOf("\"type\":7"u8) >= 0 || (record.StartsWith("{\"error\""u8)))
        {
            // A close message, or a refused handshake.
            events.OnJoinReply(false);
        }
    }
}
