using System.Text;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>One Phoenix message as a WebSocket payload: text (V1 object, V2 array) or binary (V2, PROTOCOL.md §2.4).</summary>
internal sealed record PhoenixFrame(byte[] Bytes, bool IsBinary);

/// <summary>
/// Phoenix frames for one fuzzed socket. <see cref="Plausible"/> frames are well formed (joins, leaves, heartbeats,
/// events nobody handles, on a few topics so leaves and rejoins meet joined channels, with random payloads); a
/// socket answers them and stays open. <see cref="Hostile"/> frames are mutated valid frames, wrong types and
/// arities, deep nesting, huge strings and numbers, duplicate keys, invalid escapes, lone surrogates, invalid UTF-8
/// and truncation: the server may close (1002, 1007, 1009) but must do nothing worse.
/// </summary>
internal sealed class PhoenixFrameGenerator(Random random, bool isV2)
{
    private static readonly string[] Topics = ["room:1", "room:2", "room:3", "t", "forbidden", "phoenix"];
    private static readonly string[] Events = ["phx_join", "phx_join", "phx_leave", "heartbeat", "msg", "new_msg", "phx_reply", "phx_close", "phx_error", ""];

    private static readonly string[] V1Keys = ["topic", "event", "payload", "ref", "join_ref", "topic"];

    private int _ref;

    public PhoenixFrame Plausible()
    {
        var topic = random.Next(8) == 0 ? FuzzJson.Text(random) : Topics[random.Next(Topics.Length)];
        var @event = random.Next(10) == 0 ? FuzzJson.Text(random) : Events[random.Next(Events.Length)];
        if (@event == "heartbeat" && random.Next(2) == 0)
        {
            topic = "phoenix";
        }

        var joinRef = random.Next(4) == 0 ? null : random.Next(1, 5).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var @ref = (++_ref).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (isV2 && random.Next(6) == 0 && Encoding.UTF8.GetByteCount(topic) <= 255)
        {
            return new PhoenixFrame(BinaryPush(joinRef, @ref, topic, @event, RandomBytes(random.Next(64))), IsBinary: true);
        }

        return Text(joinRef is null ? "null" : FuzzJson.Quote(joinRef), FuzzJson.Quote(@ref), FuzzJson.Quote(topic), FuzzJson.Quote(@event), Payload(@event));
    }

    public PhoenixFrame Hostile()
    {
        switch (random.Next(isV2 ? 8 : 6))
        {
            case 0:
                var valid = Plausible();
                return valid with { Bytes = FuzzJson.Mutate(valid.Bytes, random) };
            case 1:
                return WrongShape();
            case 2:
                return Text(Field(), Field(), Field(), Field(), random.Next(2) == 0 ? FuzzJson.HostileValue(random) : FuzzJson.Value(random, 4));
            case 3:
                return new PhoenixFrame(Encoding.UTF8.GetBytes(FuzzJson.HostileValue(random)), IsBinary: false);
            case 4:
                return new PhoenixFrame(Encoding.UTF8.GetBytes(FuzzJson.Nested(random, random.Next(60, 8000), closed: random.Next(3) != 0)), IsBinary: false);
            case 5:
                return new PhoenixFrame(RandomBytes(random.Next(0, 200)), IsBinary: random.Next(2) == 0);
            case 6:
                var push = Plausible();
                return push.IsBinary ? push with { Bytes = FuzzJson.Mutate(push.Bytes, random) } : new PhoenixFrame(BinaryNoise(), IsBinary: true);
            default:
                return new PhoenixFrame(BinaryNoise(), IsBinary: true);
        }
    }

    // A field that is any JSON value, often not the string the protocol wants.
    private string Field() => random.Next(5) switch
    {
        0 => FuzzJson.HostileValue(random),
        1 => FuzzJson.Value(random, 2),
        _ => FuzzJson.Quoted(random),
    };

    private string Payload(string @event) => random.Next(8) switch
    {
        0 when @event == "phx_join" => $$"""{"recover":{{(random.Next(2) == 0 ? FuzzJson.Value(random, 2) : $$"""{"epoch":{{FuzzJson.Quoted(random)}},"offset":{{FuzzJson.Value(random, 0)}}}""")}}}""",
        1 => FuzzJson.Value(random, 6),
        2 => FuzzJson.Quote(new string('p', random.Next(1000, 12_000))),
        _ => "{}",
    };

    private PhoenixFrame Text(string joinRef, string @ref, string topic, string @event, string payload)
    {
        string json;
        if (isV2)
        {
            json = $"[{joinRef},{@ref},{topic},{@event},{payload}]";
        }
        else
        {
            // V1 has no join ref on the wire; keys come in any order, as JSON allows.
            string[] members = [$"\"topic\":{topic}", $"\"event\":{@event}", $"\"payload\":{payload}", $"\"ref\":{@ref}"];
            random.Shuffle(members);
            json = "{" + string.Join(",", members) + "}";
        }

        return new PhoenixFrame(Encoding.UTF8.GetBytes(json), IsBinary: false);
    }

    // Wrong arity, wrong container, duplicate keys, missing or extra members.
    private PhoenixFrame WrongShape()
    {
        var fields = Enumerable.Range(0, random.Next(0, 8)).Select(_ => Field()).ToArray();
        var json = random.Next(4) switch
        {
            0 => "[" + string.Join(",", fields) + "]",
            1 => "{" + string.Join(",", fields.Select((field, i) => $"\"{V1Keys[Math.Min(i, V1Keys.Length - 1)]}\":{field}")) + "}",
            2 => "{\"topic\":\"t\",\"topic\":\"u\",\"event\":\"phx_join\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":\"1\",\"ref\":2}",
            _ => random.Next(3) switch { 0 => "null", 1 => "\"frame\"", _ => "42" },
        };
        return new PhoenixFrame(Encoding.UTF8.GetBytes(json), IsBinary: false);
    }

    private static byte[] BinaryPush(string? joinRef, string @ref, string topic, string @event, byte[] payload)
    {
        var fields = new[] { joinRef ?? string.Empty, @ref, topic, @event }.Select(Encoding.UTF8.GetBytes).ToArray();
        return [0, .. fields.Select(field => (byte)field.Length), .. fields.SelectMany(field => field), .. payload];
    }

    // A binary frame of any kind byte, with lengths that may overrun the frame.
    private byte[] BinaryNoise()
    {
        var frame = RandomBytes(random.Next(0, 300));
        if (frame.Length > 0)
        {
            frame[0] = (byte)random.Next(4);
        }

        return frame;
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
