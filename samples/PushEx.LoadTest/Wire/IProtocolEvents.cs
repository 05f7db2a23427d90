namespace PushEx.LoadTest.Wire;

/// <summary>What a <see cref="ClientProtocol"/> recognises in the server's messages.</summary>
internal interface IProtocolEvents
{
    /// <summary>The join (phx_join reply, or the completion of the hub's Join invocation) was answered.</summary>
    void OnJoinReply(bool ok);

    /// <summary>A pushed message arrived carrying the publisher's timestamp (Unix microseconds) and sequence number.</summary>
    void OnPush(long sentUnixMicros);

    /// <summary>A side topic's join or leave was answered (<see cref="ClientProtocol.SideFrame"/>).</summary>
    void OnSideReply(bool ok);
}
