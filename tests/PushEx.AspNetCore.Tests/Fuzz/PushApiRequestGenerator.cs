using System.Globalization;
using System.Text;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// One raw HTTP/1.1 request to the push API, and what the generator knows of it: whether it is a valid push (it must
/// be accepted, or refused for the server's own reasons: 503) and whether the client cut it short.
/// </summary>
internal sealed record PushApiRequest(byte[] Bytes, bool IsValidPush, bool EndsEarly);

/// <summary>
/// Requests to <c>/api/push</c>: every method, content type (JSON, form, text, none, multipart junk) and Accept, with
/// or without the key; bodies that are valid pushes, channel lists around and past MaxChannelsPerPush (1000),
/// nesting around and far past MaxApiBodyDepth (64), wrong types for channel, event and data, duplicate keys,
/// invalid escapes and lone surrogates, bytes that are not UTF-8, truncated or damaged JSON, bodies over
/// MaxApiBodyBytes (with a Content-Length or chunked), and bodies shorter than their Content-Length. No body names
/// the canary's topic, so every tick the canary expects is its own.
/// </summary>
internal sealed class PushApiRequestGenerator(Random random, string authority, int maxBodyBytes)
{
    private const int MaxChannelsPerPush = 1000;
    private const int MaxBodyDepth = 64;

    private static readonly string[] Topics = ["room:1", "room:2", "t", "fuzz:api"];
    private static readonly string[] Methods = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"];
    private static readonly string[] ContentTypes = ["", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "application/json; charset=latin1", "application/problem+json", "a/b/c", "json", "application/json; charset=\"", "text/json"];
    private static readonly string[] Accepts = ["*/*", "application/json", "text/html", "application/*", "junk", "application/json;q=0", "text/*, */*;q=0.1"];
    private static readonly string[] WrongTypes = ["1", "null", "true", "{}", "{\"a\":1}", "[1]", "[[]]", "[null]", "[\"a\",2]", "[]", "\"\"", "1.5e3"];
    private static readonly string[] LoneSurrogates = [@"\ud800", @"\udc00", @"a\ud83d", @"\udfff\ud800"];

    public PushApiRequest Next()
    {
        var method = random.Next(8) == 0 ? Methods[random.Next(Methods.Length)] : "POST";
        var contentType = random.Next(4) == 0 ? ContentTypes[random.Next(ContentTypes.Length)] : "application/json";
        var authorization = random.Next(8) switch { 0 => string.Empty, 1 => "Bearer wrong", 2 => "Basic dGVzdA==", _ => "Bearer " + TestApiAuthorizer.Key };
        var accept = random.Next(6) == 0 ? Accepts[random.Next(Accepts.Length)] : string.Empty;
        var (body, bodyIsValid) = Body();
        var valid = bodyIsValid && method == "POST" && contentType == "application/json" && authorization == "Bearer " + TestApiAuthorizer.Key && accept is "" or "*/*" or "application/json" or "application/*";

        var head = new StringBuilder()
            .Append(method).Append(" /api/push HTTP/1.1\r\n")
            .Append("Host: ").Append(authority).Append("\r\n");
        AppendHeader(head, "Content-Type", contentType);
        AppendHeader(head, "Authorization", authorization);
        AppendHeader(head, "Accept", accept);

        var endsEarly = false;
        byte[] framed;
        switch (random.Next(8))
        {
            case 0:
                head.Append("Transfer-Encoding: chunked\r\n\r\n");
                framed = Chunked(body);
                break;
            case 1:
                // A body shorter than its Content-Length: the client half-closes and the server may hang up.
                head.Append("Content-Length: ").Append((body.Length + random.Next(1, 1000)).ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
                framed = body;
                endsEarly = true;
                valid = false;
                break;
            default:
                head.Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
                framed = body;
                break;
        }

        return new PushApiRequest([.. Encoding.Latin1.GetBytes(head.ToString()), .. framed], valid, endsEarly);
    }

    private (byte[] Body, bool IsValid) Body()
    {
        switch (random.Next(16))
        {
            case 0:
            case 1:
            case 2:
                var channel = random.Next(2) == 0 ? FuzzJson.Quote(Topic()) : "[" + string.Join(',', Enumerable.Range(0, random.Next(1, 6)).Select(_ => FuzzJson.Quote(Topic()))) + "]";
                return (Utf8($$"""{"channel":{{channel}},"event":"e","data":{{FuzzJson.Value(random, 3)}}}"""), true);
            case 3:
                // Around MaxChannelsPerPush: up to it is accepted, past it refused (422).
                var count = random.Next(MaxChannelsPerPush - 10, MaxChannelsPerPush + 10);
                var channels = string.Join(',', Enumerable.Range(0, count).Select(n => $"\"c{n}\""));
                return (Utf8($$"""{"channel":[{{channels}}],"event":"e","data":1}"""), count <= MaxChannelsPerPush);
            case 4:
                // Around MaxApiBodyDepth (the data sits two levels down).
                return (Utf8($$"""{"channel":"t","event":"e","data":{{FuzzJson.Nested(random, random.Next(MaxBodyDepth - 6, MaxBodyDepth + 6), closed: true)}}}"""), false);
            case 5:
                return (Utf8(FuzzJson.Nested(random, random.Next(100, 20_000), closed: random.Next(4) != 0)), false);
            case 6:
                return random.Next(3) switch
                {
                    0 => (Utf8($$"""{"channel":{{WrongType()}},"event":"e","data":1}"""), false),
                    1 => (Utf8($$"""{"channel":"t","event":{{WrongType()}},"data":1}"""), false),
                    _ => (Utf8(random.Next(2) == 0 ? """{"channel":"t","event":"e"}""" : WrongType()), false),
                };
            case 7:
                return (Utf8("""{"channel":"t","event":"e","data":1,"channel":""" + WrongType() + ",\"event\":\"f\"}"), false);
            case 8:
                return random.Next(3) switch
                {
                    0 => (Utf8($$"""{"channel":{{FuzzJson.HostileValue(random)}},"event":"e","data":1}"""), false),
                    1 => (Utf8($$"""{"channel":"t","event":{{FuzzJson.HostileValue(random)}},"data":1}"""), false),
                    _ => (Utf8($$"""{"channel":"t","event":"e","data":{{FuzzJson.HostileValue(random)}}}"""), false),
                };
            case 9:
                var surrogate = LoneSurrogates[random.Next(LoneSurrogates.Length)];
                return random.Next(4) switch
                {
                    0 => (Utf8($$"""{"channel":"{{surrogate}}","event":"e","data":1}"""), false),
                    1 => (Utf8($$"""{"channel":["t","{{surrogate}}"],"event":"e","data":1}"""), false),
                    2 => (Utf8($$"""{"channel":"t","event":"{{surrogate}}","data":1}"""), false),
                    _ => (Utf8($$$"""{"channel":"t","event":"e","data":{"{{{surrogate}}}":"{{{surrogate}}}"}}"""), false),
                };
            case 10:
                return (FuzzJson.Mutate(Utf8($$"""{"channel":["t","é😀"],"event":"e","data":{{FuzzJson.Value(random, 2)}}}"""), random), false);
            case 11:
                return (Utf8(random.Next(2) == 0 ? "channel=t&event=e&data=1" : "channel[]=t&channel[]=u&event=e&data[a]=%ff%fe"), false);
            case 12:
                return (Utf8("--xyz\r\nContent-Disposition: form-data; name=\"channel\"\r\n\r\nt\r\n--xyz\r\nContent-Disposition: form-data; name=\"event\r\n\r\n" + new string('m', random.Next(0, 2000)) + (random.Next(2) == 0 ? "\r\n--xyz--\r\n" : string.Empty)), false);
            case 13:
                // Over MaxApiBodyBytes (413), whatever the framing.
                return (Utf8($$"""{"channel":"t","event":"e","data":"{{new string('d', maxBodyBytes + random.Next(1, 10_000))}}"}"""), false);
            case 14:
                return (Utf8(FuzzJson.Text(random)), false);
            default:
                var noise = new byte[random.Next(0, 300)];
                random.NextBytes(noise);
                return (noise, false);
        }
    }

    private string Topic() => Topics[random.Next(Topics.Length)];

    private string WrongType() => WrongTypes[random.Next(WrongTypes.Length)];

    private byte[] Chunked(byte[] body)
    {
        var chunks = new List<byte>();
        var at = 0;
        while (at < body.Length)
        {
            var size = Math.Min(body.Length - at, random.Next(1, 64 * 1024));
            chunks.AddRange(Encoding.ASCII.GetBytes(size.ToString("x", CultureInfo.InvariantCulture) + "\r\n"));
            chunks.AddRange(body.AsSpan(at, size));
            chunks.AddRange("\r\n"u8);
            at += size;
        }

        chunks.AddRange("0\r\n\r\n"u8);
        return [.. chunks];
    }

    private static void AppendHeader(StringBuilder head, string name, string value)
    {
        if (value.Length > 0)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
