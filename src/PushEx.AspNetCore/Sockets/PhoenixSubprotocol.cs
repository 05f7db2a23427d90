using System.Text;
using Microsoft.AspNetCore.Http;

namespace PushEx.AspNetCore.Sockets;

/// <summary>
/// phoenix.js's <c>authToken</c> option (PROTOCOL.md §7.6): the client offers the subprotocols <c>phoenix</c> and
/// <c>base64url.bearer.phx.{token in base64, no padding}</c>; the server must answer <c>phoenix</c>, or the browser
/// fails the handshake.
/// </summary>
internal static class PhoenixSubprotocol
{
    public const string Name = "phoenix";
    private const string TokenPrefix = "base64url.bearer.phx.";

    /// <summary>
    /// Reads the offered subprotocols. <paramref name="offered"/> tells whether <c>phoenix</c> was offered; the result
    /// is false when a token was offered but is not base64.
    /// </summary>
    public static bool TryRead(HttpRequest request, out bool offered, out string? authToken)
    {
        offered = false;
        authToken = null;
        foreach (var header in request.Headers.SecWebSocketProtocol)
        {
            foreach (var protocol in (header ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (protocol == Name)
                {
                    offered = true;
                }
                else if (protocol.StartsWith(TokenPrefix, StringComparison.Ordinal))
                {
                    if (!TryDecode(protocol[TokenPrefix.Length..], out authToken))
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    // Standard base64 (despite the prefix's name) with the padding removed, as phoenix.js writes it.
    private static bool TryDecode(string encoded, out string? token)
    {
        token = null;
        var padded = encoded.PadRight(encoded.Length + ((4 - (encoded.Length % 4)) % 4), '=');
        var bytes = new byte[padded.Length];
        if (!Convert.TryFromBase64String(padded, bytes, out var length))
        {
            return false;
        }

        try
        {
            token = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes, 0, length);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
