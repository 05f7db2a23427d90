using System.Text;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// Random JSON text for the frame and body generators: valid values of every kind (nested, huge, odd numbers and
/// strings), and, when asked, the hostile kind: invalid escapes, escaped lone surrogates, raw control characters,
/// duplicate keys, nesting past any parser's depth, truncation and bytes that are not UTF-8.
/// </summary>
internal static class FuzzJson
{
    private static readonly string[] Words =
        ["room:1", "room:2", "t", "phoenix", "forbidden", "phx_join", "phx_leave", "heartbeat", "msg", "recover", "epoch",
         "offset", "channel", "event", "data", "topic", "payload", "ref", "join_ref", "user", "token", "", " ", "null", "é", "ü:ß", "😀", "a\u0000b"];

    private static readonly string[] OddNumbers =
        ["0", "-0", "1e999999", "-1e-999999", "123456789012345678901234567890", "9223372036854775808", "-9223372036854775809",
         "1.7976931348623157e309", "0.000000000000000000000000000001", "1E+2", "4.9e-324", "18446744073709551616"];

    private static readonly string[] BadEscapes = [@"\x41", @"\u12", @"\u", @"\uZZZZ", @"\", @"\U0041", @"\'", @"\0", @"\ud800", @"\udc00", @"\udfff\ud800", @"\ud83d", @"\ud83d\u0041"];

    private static readonly string[] BadTokens = ["NaN", "Infinity", "-Infinity", "undefined", "01", "+1", ".5", "1.", "1e", "--1", "tru", "nul", "0x10", "'s'", "[,]", "{,}", "[1,]", "{\"a\":1,}", "{\"a\"}", "{1:2}"];

    /// <summary>A random word-like string, sometimes empty, Unicode, or long.</summary>
    public static string Text(Random random) => random.Next(10) switch
    {
        < 6 => Words[random.Next(Words.Length)],
        6 => new string((char)random.Next('a', 'z' + 1), random.Next(1, 300)),
        7 => RandomUnicode(random, random.Next(1, 40)),
        8 => random.Next(1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => new string('x', random.Next(256, 4096)),
    };

    /// <summary>A quoted JSON string of <see cref="Text"/>, escaped as a JSON writer would (never invalid).</summary>
    public static string Quoted(Random random) => Quote(Text(random));

    public static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    /// <summary>A valid JSON value, nested at most <paramref name="depth"/> levels.</summary>
    public static void Value(StringBuilder json, Random random, int depth)
    {
        switch (random.Next(depth > 0 ? 9 : 6))
        {
            case 0:
                json.Append("null");
                break;
            case 1:
                json.Append(random.Next(2) == 0 ? "true" : "false");
                break;
            case 2:
                json.Append(random.Next(3) == 0 ? OddNumbers[random.Next(OddNumbers.Length)] : random.Next(-1000, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case 3:
            case 4:
            case 5:
                json.Append(Quoted(random));
                break;
            case 6:
            case 7:
                json.Append('{');
                for (var i = random.Next(4); i > 0; i--)
                {
                    json.Append(Quoted(random)).Append(':');
                    Value(json, random, depth - 1);
                    json.Append(i > 1 ? "," : string.Empty);
                }

                json.Append('}');
                break;
            default:
                json.Append('[');
                for (var i = random.Next(4); i > 0; i--)
                {
                    Value(json, random, depth - 1);
                    json.Append(i > 1 ? "," : string.Empty);
                }

                json.Append(']');
                break;
        }
    }

    public static string Value(Random random, int depth)
    {
        var json = new StringBuilder();
        Value(json, random, depth);
        return json.ToString();
    }

    /// <summary>A JSON value that a strict parser refuses or that is valid only in its grammar (lone surrogates, duplicate keys, nesting past 64).</summary>
    public static string HostileValue(Random random) => random.Next(9) switch
    {
        0 => "\"" + BadEscapes[random.Next(BadEscapes.Length)] + "\"",
        1 => "\"a" + (char)random.Next(0, 0x20) + "b\"",
        2 => BadTokens[random.Next(BadTokens.Length)],
        3 => Nested(random, random.Next(60, 5000), closed: random.Next(4) != 0),
        4 => "{\"a\":1,\"a\":" + Value(random, 2) + "}",
        5 => "\"" + new string('y', random.Next(10_000, 20_000)) + "\"",
        6 => new string('9', random.Next(400, 5000)),
        7 => "{\"" + BadEscapes[random.Next(BadEscapes.Length)] + "\":1}",
        _ => Value(random, 3)[..^1],
    };

    /// <summary><c>[[[…]]]</c> or <c>{"a":{"a":…}}</c>, <paramref name="depth"/> deep, optionally left open.</summary>
    public static string Nested(Random random, int depth, bool closed)
    {
        var asArray = random.Next(2) == 0;
        var json = new StringBuilder(depth * 6);
        for (var i = 0; i < depth; i++)
        {
            json.Append(asArray ? "[" : "{\"a\":");
        }

        json.Append('1');
        if (closed)
        {
            json.Append(asArray ? ']' : '}', depth);
        }

        return json.ToString();
    }

    /// <summary>Damages encoded text: truncates it, flips, drops or repeats bytes, or inserts bytes that are not UTF-8.</summary>
    public static byte[] Mutate(byte[] bytes, Random random)
    {
        if (bytes.Length == 0)
        {
            return [(byte)random.Next(256)];
        }

        var at = random.Next(bytes.Length);
        switch (random.Next(6))
        {
            case 0:
                return bytes[..at];
            case 1:
                var flipped = (byte[])bytes.Clone();
                flipped[at] ^= (byte)(1 << random.Next(8));
                return flipped;
            case 2:
                return [.. bytes[..at], .. bytes[Math.Min(bytes.Length, at + random.Next(1, 8))..]];
            case 3:
                return [.. bytes[..at], .. bytes[at..Math.Min(bytes.Length, at + random.Next(1, 16))], .. bytes[at..]];
            case 4:
                byte[][] notUtf8 = [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xF0, 0x9F, 0x98]];
                return [.. bytes[..at], .. notUtf8[random.Next(notUtf8.Length)], .. bytes[at..]];
            default:
                var noise = new byte[random.Next(1, 8)];
                random.NextBytes(noise);
                return [.. bytes[..at], .. noise, .. bytes[at..]];
        }
    }

    private static string RandomUnicode(Random random, int length)
    {
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            var codePoint = random.Next(3) switch
            {
                0 => random.Next(0x20, 0x7F),
                1 => random.Next(0xA0, 0xD800),
                _ => random.Next(0x10000, 0x10FFFF),
            };
            text.Append(char.ConvertFromUtf32(codePoint));
        }

        return text.ToString();
    }
}
