namespace PushEx.LoadTest.Wire;

/// <summary>Receives the complete messages of one <see cref="WsConnection"/>, on its receive loop.</summary>
internal interface IMessageSink
{
    void OnMessage(ReadOnlySpan<byte> message);

    void OnClosed(WsConnection connection);
}
