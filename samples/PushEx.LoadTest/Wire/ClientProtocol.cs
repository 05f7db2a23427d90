using System.Buffers.Text;
using System.Net;

namespace PushEx.LoadTest.Wire;

/// <summary>
/// How one kind of client speaks to its server: the socket path, the frames that open a connection and join a
/// topic, the keep-alive frame, and how to find join replies and pushes in what comes back. Recognition scans for a
/// few byte strings instead of parsing JSON, so a client spends little per message.
/// </summary>
internal abstract class ClientProtocol
{
    /// <summary>The publisher's timestamp key inside the pushed data: <c>{"ts":…,"seq":…}</c>.</summary>
    protected static ReadOnlySpan<byte> TimestampKey => "\"ts\":"u8;

    /// <summary>Side topics (<see cref="SideFrame"/>) are named with this prefix.</summary>
    public const string SideTopicPrefix = "side:";

    public abstract string Name { get; }

    /// <summary>The socket's path and query.</summary>
    public abstract string Path { get; }

    /// <summary>How often a client sends <see cref="KeepAliveFrame"/>: phoenix.js heartbeats every 30 s, SignalR clients ping every 15 s.</summary>
    public abstract TimeSpan KeepAliveInterval { get; }

    public abstract ReadOnlyMemory<byte> KeepAliveFrame { get; }

    public static ClientProtocol Create(string name) => name switch
    {
        "v2" or "pushex" or "pushex-v2" => new PhoenixProtocol(PhoenixProtocol.Version.V2),
        "v1" or "pushex-v1" => new PhoenixProtocol(PhoenixProtocol.Version.V1),
        "signalr" => new SignalRProtocol(),
        _ => throw new ArgumentException($"Unknown protocol '{name}' (v2, v1, signalr).", nameof(name)),
    };

    /// <summary>The frames a client sends right after the upgrade to join <paramref name="topic"/>, in order.</summary>
    public abstract IReadOnlyList<ReadOnlyMemory<byte>> JoinFrames(string topic);

    /// <summary>
    /// The frame that joins (or leaves) a side topic: a second, short-lived subscription next to the client's own topic,
    /// for the soak's joins and leaves. Side topics start with <see cref="SideTopicPrefix"/> so their replies are told apart.
    /// </summary>
    public virtual ReadOnlyMemory<byte> SideFrame(string topic, bool join) =>
        throw new NotSupportedException($"{Name} clients do not join side topics.");

    /// <summary>Reports what <paramref name="message"/> (one WebSocket message) carries.</summary>
    public abstract void Dispatch(ReadOnlySpan<byte> message, IProtocolEvents events);

    public byte[] UpgradeRequest(EndPoint server) => WsConnection.UpgradeRequest(server, Path);

    /// <summary>Reads the number after <c>"ts":</c>; false when the message carries none.</summary>
    protected static bool TryReadTimestamp(ReadOnlySpan<byte> message, out long unixMicros)
    {
        unixMicros = 0;
        var at = message.IndexOf(TimestampKey);
        return at >= 0 && Utf8Parser.TryParse(message[(at + TimestampKey.Length)..], out unixMicros, out _);
    }
}
