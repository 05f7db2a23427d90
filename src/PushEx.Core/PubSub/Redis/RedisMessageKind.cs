namespace PushEx.PubSub.Redis;

internal enum RedisMessageKind : byte
{
    Push = 1,
    Disconnect = 2,
}
