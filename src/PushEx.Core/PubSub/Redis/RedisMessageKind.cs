namespace PushEx.PubSub.Redis;

internal enum RedisMessageKind : byte
{
    Push = 1,
    Disconnect = 2,

    /// <summary>
    /// A push to a topic with history, carrying its place in the history. A kind of its own rather than an extended
    /// push, so a node that predates history rejects it (unknown kind) instead of misreading the offset as data.
    /// </summary>
    PositionedPush = 3,
}
