namespace PushEx.Protocol;

/// <summary>
/// One message decoded from a client frame (PROTOCOL.md §2.1). Refs are opaque strings and are echoed
/// byte-for-byte; the payload stays raw (JSON text for text frames, bytes for binary frames) and is only
/// parsed by whoever needs it (a join parses its params, nothing else does).
/// </summary>
internal sealed class ClientMessage
{
    /// <summary>The join ref, or null. A binary frame's missing join ref decodes as the empty string.</summary>
    public string? JoinRef { get; init; }

    /// <summary>The client's ref for this message, or null.</summary>
    public string? Ref { get; init; }

    /// <summary>The topic when the frame carries a JSON string; null when it carries another JSON value.</summary>
    public string? Topic { get; init; }

    /// <summary>The topic exactly as it appeared in the frame, as a JSON value, so a reply can echo a non-string topic.</summary>
    public ReadOnlyMemory<byte> RawTopic { get; init; }

    /// <summary>The event name.</summary>
    public required string Event { get; init; }

    /// <summary>The payload: raw JSON for text frames, raw bytes for binary frames.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>True when the message came in a binary frame (its payload is not JSON).</summary>
    public bool IsBinary { get; init; }
}
