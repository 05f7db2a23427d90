using System.Text;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// One raw HTTP/1.1 request to the socket path, and what the generator knows of it: whether it is a valid upgrade
/// (it must be answered 101) and whether its upgrade headers are all well formed (101 is allowed only then).
/// </summary>
internal sealed record HandshakeRequest(byte[] Bytes, bool IsValidUpgrade, bool HasUpgradeHeaders, bool EndsEarly);

/// <summary>
/// Upgrade requests to <c>/push_socket/websocket</c>, each starting from a valid one and usually damaged a few ways:
/// query strings with deep <c>a[b][c]…</c> nesting, huge or repeated keys, unbalanced brackets, a bad <c>vsn</c>,
/// bad percent-encoding, bytes that decode to invalid UTF-8; wrong methods and paths; missing or odd
/// <c>Upgrade</c>, <c>Connection</c>, <c>Sec-WebSocket-Key</c> and <c>-Version</c>; phoenix's authToken subprotocol
/// with junk; junk origins; headers under and over Kestrel's limits (32 KiB of headers, 100 headers, 8 KiB request
/// line); and requests cut short.
/// </summary>
internal sealed class HandshakeGenerator(Random random, string authority)
{
    private static readonly string[] Methods = ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "FOO", "get", "G\u00c9T"];
    private static readonly string[] Paths = ["/push_socket/websocket/", "/push_socket", "/push_socket/longpoll", "/push_socket/websocket%00", "//push_socket/websocket", "/push_socket/../push_socket/websocket", "*"];
    private static readonly string[] BadVsns = ["3.0.0", "", "2", "1", "2.0.0x", "%00", "vsn", "1.0.0.0", "%ff", "2.0.0%00", "-1", "99999999999999999999.0.0"];
    private static readonly string[] BadPercents = ["%", "%G1", "%e9", "%ff%fe", "%ed%a0%80", "%c0%af", "%00", "%f4%90%80%80", "%e2%82", "%%", "%2", "+%+", "%u00e9"];
    private static readonly string[] OddQueries = ["a[", "a]]=1", "[]=1", "a[][]=1", "a[b]=1&a=2", "a=1&a[b]=2", "a[]=1&a[b]=2", "a[b]=1&a[]=2", "=", "&&&", "=x", "a==b", "a[=1", "a[]]=1", "[=]", "a[b[c]]=1", ";", "vsn=2.0.0&vsn[]=1"];
    private static readonly string[] Upgrades = ["", "h2c", "websocket, foo", "web socket", "websocket\u00ff", "TLS/1.0"];
    private static readonly string[] Connections = ["", "close", "keep-alive", "Upgrade2", "Up grade", "\u00ff"];
    private static readonly string[] Versions = ["", "8", "abc", "13, 8", "-13", "0013", "99999999999999999999"];
    private static readonly string[] Origins = ["null", "http://", "://", "http://[::1", "file:///etc/passwd", "javascript:alert(1)", "http://exa mple.com", "\u00e9\u00ff", "http://a:99999", "http://127.0.0.1:0", "*"];

    public HandshakeRequest Next()
    {
        var method = "GET";
        var path = "/push_socket/websocket";
        var query = new List<string>();
        if (random.Next(3) != 0)
        {
            query.Add("vsn=" + (random.Next(2) == 0 ? "2.0.0" : "1.0.0"));
        }

        var upgrade = random.Next(2) == 0 ? "websocket" : "WebSocket";
        var connection = random.Next(2) == 0 ? "Upgrade" : "keep-alive, Upgrade";
        var key = Convert.ToBase64String(Bytes(16));
        var version = "13";
        var extra = new List<string>();
        var hasHost = true;
        var upgradeWellFormed = true;
        var valid = true;
        var endsEarly = false;

        var damages = random.Next(5) == 0 ? 0 : random.Next(1, 4);
        for (var i = 0; i < damages; i++)
        {
            switch (random.Next(16))
            {
                case 0:
                    query.Add(Nested(random.Next(2, random.Next(2) == 0 ? 100 : 3000)));
                    valid = false;
                    break;
                case 1:
                    query.Add(new string('k', random.Next(100, 12_000)) + "=" + new string('v', random.Next(0, 3000)));
                    valid = false;
                    break;
                case 2:
                    var repeated = random.Next(2) == 0 ? "k" : "k[]";
                    query.AddRange(Enumerable.Repeat(repeated + "=" + random.Next(100), random.Next(2, 1500)));
                    valid = false;
                    break;
                case 3:
                    query.Add(random.Next(3) == 0 ? $"vsn[]={BadVsns[random.Next(BadVsns.Length)]}" : random.Next(2) == 0 ? "vsn[a]=2.0.0" : "vsn=" + BadVsns[random.Next(BadVsns.Length)]);
                    valid = false;
                    break;
                case 4:
                    var percent = BadPercents[random.Next(BadPercents.Length)];
                    query.Add(random.Next(3) switch { 0 => percent + "=1", 1 => "user=" + percent, _ => $"a[{percent}]=" + percent });
                    valid = false;
                    break;
                case 5:
                    query.Add(OddQueries[random.Next(OddQueries.Length)]);
                    valid = false;
                    break;
                case 6:
                    method = Methods[random.Next(Methods.Length)];
                    valid = false;
                    break;
                case 7:
                    // Some of these name the socket path once normalised (dot segments, a trailing slash): 101 is allowed.
                    path = Paths[random.Next(Paths.Length)];
                    valid = false;
                    break;
                case 8:
                    upgrade = Upgrades[random.Next(Upgrades.Length)];
                    connection = random.Next(2) == 0 ? connection : Connections[random.Next(Connections.Length)];
                    valid = false;
                    break;
                case 9:
                    key = random.Next(4) switch { 0 => string.Empty, 1 => Convert.ToBase64String(Bytes(random.Next(0, 40))), 2 => "not base64!", _ => key + "\r\nSec-WebSocket-Key: " + Convert.ToBase64String(Bytes(16)) };
                    valid = false;
                    break;
                case 10:
                    version = Versions[random.Next(Versions.Length)];
                    valid = false;
                    break;
                case 11:
                    extra.Add("Sec-WebSocket-Protocol: " + Subprotocols());
                    valid = false;
                    break;
                case 12:
                    extra.Add("Origin: " + (random.Next(3) == 0 ? new string('o', random.Next(1000, 20_000)) : Origins[random.Next(Origins.Length)]));
                    valid = false;
                    break;
                case 13:
                    // Under and over Kestrel's 32 KiB of headers, or its 100 headers.
                    if (random.Next(2) == 0)
                    {
                        extra.Add("X-Junk: " + new string('j', random.Next(1000, 40_000)));
                    }
                    else
                    {
                        extra.AddRange(Enumerable.Range(0, random.Next(50, 150)).Select(n => $"X-Junk-{n}: {n}"));
                    }

                    valid = false;
                    break;
                case 14:
                    if (random.Next(2) == 0)
                    {
                        hasHost = false;
                    }
                    else
                    {
                        extra.Add(random.Next(2) == 0 ? "Host: a\r\nHost: b" : "Bad Header: x"); // two Hosts whatever else happened
                    }

                    upgradeWellFormed = valid = false;
                    break;
                default:
                    endsEarly = true;
                    upgradeWellFormed = valid = false;
                    break;
            }
        }

        // Decided once the damage is done (a later damage may undo an earlier one), and as leniently as ASP.NET Core
        // reads an upgrade: "get" though methods are case-sensitive (RFC 9110 §9.1), an Upgrade list that holds
        // websocket, a Version list that holds 13, a repeated key when one is valid, a random key that is 16 bytes.
        upgradeWellFormed &= method is "GET" or "get"
            && upgrade is "websocket" or "WebSocket" or "websocket, foo"
            && connection is "Upgrade" or "keep-alive, Upgrade"
            && version is "13" or "13, 8"
            && key.Split("\r\nSec-WebSocket-Key: ").Any(IsKey);

        var request = new StringBuilder()
            .Append(method).Append(' ').Append(path).Append(query.Count > 0 ? "?" + string.Join('&', query) : string.Empty).Append(" HTTP/1.1\r\n");
        if (hasHost)
        {
            request.Append("Host: ").Append(authority).Append("\r\n");
        }

        AppendHeader(request, "Upgrade", upgrade);
        AppendHeader(request, "Connection", connection);
        AppendHeader(request, "Sec-WebSocket-Version", version);
        AppendHeader(request, "Sec-WebSocket-Key", key);
        foreach (var header in extra)
        {
            request.Append(header).Append("\r\n");
        }

        var bytes = Encoding.Latin1.GetBytes(request.Append("\r\n").ToString());
        if (endsEarly)
        {
            bytes = bytes[..random.Next(bytes.Length)];
        }

        return new HandshakeRequest(bytes, valid, upgradeWellFormed, endsEarly);
    }

    private static bool IsKey(string key)
    {
        Span<byte> decoded = stackalloc byte[64];
        return Convert.TryFromBase64String(key, decoded, out var length) && length == 16;
    }

    // An empty value leaves the header out.
    private static void AppendHeader(StringBuilder request, string name, string value)
    {
        if (value.Length > 0)
        {
            request.Append(name).Append(": ").Append(value).Append("\r\n");
        }
    }

    private string Nested(int depth)
    {
        var key = new StringBuilder(random.Next(2) == 0 ? "a" : "user");
        for (var i = 0; i < depth; i++)
        {
            key.Append('[').Append(random.Next(4) == 0 ? string.Empty : ((char)('a' + random.Next(26))).ToString()).Append(']');
        }

        return key.Append("=1").ToString();
    }

    // phoenix.js's authToken offer with junk: a token that is not base64url, an empty one, a huge one, no "phoenix".
    private string Subprotocols() => random.Next(6) switch
    {
        0 => "phoenix, base64url.bearer.phx.!!!",
        1 => "phoenix, base64url.bearer.phx.",
        2 => "phoenix, base64url.bearer.phx." + Convert.ToBase64String(Bytes(random.Next(1, 6000))).TrimEnd('='),
        3 => "base64url.bearer.phx." + Convert.ToBase64String(Encoding.UTF8.GetBytes("tok")).TrimEnd('='),
        4 => "phoenix, phoenix, chat, , ,",
        _ => "phoenix, base64url.bearer.phx." + Convert.ToBase64String([0xED, 0xA0, 0x80, 0xFF]).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
    };

    private byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
