namespace PushEx.PubSub.Redis;

/// <summary>
/// The Lua scripts of topic history and resume positions. Each runs atomically in Redis, so one round trip does what
/// would otherwise be a read, a decision and several writes that other nodes could interleave with. They are sent
/// with <c>ScriptEvaluateAsync(string, …)</c>: StackExchange.Redis sends a script whole (EVAL) the first time on a
/// connection and only its SHA1 (EVALSHA) afterwards, and sends it whole again after a reconnect (a restarted server
/// has forgotten it). Every key a script touches is passed
/// as <c>KEYS</c>, and a topic's keys share one hash tag (<see cref="RedisChannels"/>), so the scripts run on a
/// Redis Cluster too.
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// Gives a push to a topic with history its offset, appends it to the topic's log and publishes it, in one step,
    /// so that the order of offsets, of the log and of every node's delivery is one order.
    /// KEYS: meta (hash: <c>e</c> epoch, <c>o</c> last offset), log (stream). ARGV: 1 channel, 2 message head
    /// (<see cref="RedisMessage.PositionedPushHead"/>), 3 epoch candidate, 4 max pushes, 5 window ms, 6 position
    /// retention ms, 7 accepted-at unix ms, 8 event, 9 data, 10 push id, 11 <c>1</c> when an earlier attempt of this
    /// push may have run, 12 <c>1</c> when the channel is a shard channel (SPUBLISH; it must then hash to the keys' slot,
    /// <see cref="RedisChannels"/>). Returns epoch, offset, and how many subscribers the publish reached.
    /// </summary>
    /// <remarks>
    /// A log entry's id is <c>offset-1</c>, so a read finds the pushes after an offset with XRANGE and no index. The
    /// entry keeps the push's acceptance time (<c>t</c>), so a read can drop what is older than the window, and its
    /// push id (<c>n</c>): when the reply to an attempt is lost, the retry finds the push already appended (among the
    /// last max-pushes entries) and returns its offset instead of appending and publishing it a second time.
    /// The positioned message is built here because only here is the offset known:
    /// <c>head offset(8, LE) epoch-length(1) epoch accepted(8, LE) event-length(2, LE) event data</c>
    /// (<see cref="RedisMessage"/>); Redis's Lua has the <c>struct</c> library to pack the integers.
    /// </remarks>
    public const string Publish = """
        local meta, log = KEYS[1], KEYS[2]
        local channel, maxlen, id = ARGV[1], ARGV[4], ARGV[10]
        local sharded = ARGV[12] == '1'
        local epoch = redis.call('HGET', meta, 'e')
        if epoch and ARGV[11] == '1' then
          for _, entry in ipairs(redis.call('XREVRANGE', log, '+', '-', 'COUNT', maxlen)) do
            local fields = entry[2]
            for i = 1, #fields, 2 do
              if fields[i] == 'n' and fields[i + 1] == id then
                return {epoch, tonumber(string.match(entry[1], '^%d+')), redis.call('PUBSUB', sharded and 'SHARDNUMSUB' or 'NUMSUB', channel)[2]}
              end
            end
          end
        end
        local offset
        local function append()
          return redis.pcall('XADD', log, 'MAXLEN', maxlen, string.format('%d-1', offset),
            't', ARGV[7], 'e', ARGV[8], 'd', ARGV[9], 'n', id)
        end
        local appended = false
        if epoch then
          offset = redis.call('HINCRBY', meta, 'o', 1)
          local reply = append()
          appended = not (type(reply) == 'table' and reply.err)
        end
        -- A new history when the topic has none (never pushed, forgotten, Redis lost its data), or when its log would
        -- not take the offset (the meta was evicted without the log): the old pushes cannot be placed after the new.
        if not appended then
          epoch = ARGV[3]
          offset = 1
          redis.call('DEL', log)
          redis.call('HSET', meta, 'e', epoch, 'o', offset)
          redis.call('XADD', log, 'MAXLEN', maxlen, '1-1', 't', ARGV[7], 'e', ARGV[8], 'd', ARGV[9], 'n', id)
        end
        redis.call('PEXPIRE', log, ARGV[5])
        redis.call('PEXPIRE', meta, ARGV[6])
        local message = ARGV[2] .. struct.pack('<i8B', offset, #epoch) .. epoch
          .. struct.pack('<i8H', tonumber(ARGV[7]), #ARGV[8]) .. ARGV[8] .. ARGV[9]
        return {epoch, offset, redis.call(sharded and 'SPUBLISH' or 'PUBLISH', channel, message)}
        """;

    /// <summary>
    /// Reads a topic's position and the log entries from an id on, in one consistent view.
    /// KEYS: meta, log. ARGV: 1 the first entry id wanted (<c>offset-0</c>), or empty for the position alone.
    /// Returns nil when the topic has no meta; else epoch, last offset, and (unless only the position was asked) the
    /// entries, each <c>[id, [t, accepted, e, event, d, data, n, push-id]]</c>.
    /// </summary>
    public const string ReadHistory = """
        local position = redis.call('HMGET', KEYS[1], 'e', 'o')
        if not position[1] then
          return false
        end
        if ARGV[1] == '' then
          return position
        end
        return {position[1], position[2], redis.call('XRANGE', KEYS[2], ARGV[1], '+')}
        """;

    /// <summary>
    /// Records a socket id's resume positions and restarts the hash's expiry, in one step.
    /// KEYS: the socket id's hash. ARGV: 1 expiry ms, then field (topic) and value pairs.
    /// </summary>
    /// <remarks>One HSET per field rather than one with <c>unpack</c>, which Lua limits to a few thousand values.</remarks>
    public const string SaveResumePositions = """
        for i = 2, #ARGV, 2 do
          redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        """;
}
