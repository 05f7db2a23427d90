using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PushEx.Sample;

/// <summary>
/// Signed, expiring tokens naming a user: <c>base64url(user|expiry).base64url(HMAC-SHA256)</c>, the expiry in Unix
/// seconds (a JWT's <c>exp</c>). The key comes from configuration <c>Sample:TokenKey</c>, so every node of a cluster
/// accepts the tokens of the others; the lifetime from <c>Sample:TokenLifetime</c> (default an hour).
/// </summary>
public sealed class DemoTokens(IConfiguration configuration, TimeProvider timeProvider)
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(configuration["Sample:TokenKey"] ?? "dev-token-key-change-me");
    private readonly TimeSpan _lifetime = configuration.GetValue("Sample:TokenLifetime", TimeSpan.FromHours(1));

    public string Issue(string user)
    {
        var expires = timeProvider.GetUtcNow().Add(_lifetime).ToUnixTimeSeconds();
        var body = Encoding.UTF8.GetBytes($"{user}|{expires.ToString(CultureInfo.InvariantCulture)}");
        return $"{Base64Url.EncodeToString(body)}.{Base64Url.EncodeToString(HMACSHA256.HashData(_key, body))}";
    }

    /// <summary>The user the token names and when it expires, or null when it is forged, malformed or expired.</summary>
    public DemoToken? Validate(string? token)
    {
        if (token?.Split('.') is not [var encodedBody, var encodedSignature]
            || !Base64Url.IsValid(encodedBody) || !Base64Url.IsValid(encodedSignature))
        {
            return null;
        }

        var body = Base64Url.DecodeFromChars(encodedBody);
        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_key, body), Base64Url.DecodeFromChars(encodedSignature)))
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(body);
        var separator = text.LastIndexOf('|');
        if (separator <= 0 || !long.TryParse(text.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || timeProvider.GetUtcNow().ToUnixTimeSeconds() >= expires)
        {
            return null;
        }

        return new DemoToken(text[..separator], DateTimeOffset.FromUnixTimeSeconds(expires));
    }
}

