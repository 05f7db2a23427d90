namespace PushEx.Protocol;

/// <summary>The serializer a connection speaks, chosen from its <c>vsn</c> query parameter.</summary>
internal enum ProtocolVersion
{
    /// <summary>JSON objects; <c>join_ref</c> is never written (vsn missing or 1.0.x).</summary>
    V1,

    /// <summary>JSON five-element arrays and binary frames (vsn 2.0.x).</summary>
    V2,
}
