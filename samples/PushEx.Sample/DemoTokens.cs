using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PushEx.Sample;

/// <summary>
/// Signed, expiring tokens naming a user: <c>base64url(user|expiry).base64url(HMAC-SHA256)</c>. The key comes from
/// configuration <c>Sample:TokenKey</c>, so every node of a cluster accepts the tokens of the others.
/// </summary>
public sealed class DemoTokens(IConfiguration configuration, TimeProvider timeProvider)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private readonly byte[] _key = Encoding.UTF8.GetBytes(configuration["Sample:TokenKey"] ?? "dev-token-key-change-me");

    public string Issue(string user)
    {
        var expires = timeProvider.GetUtcNow().Add(Lifetime).ToUnixTimeSeconds();
        var body = Encoding.UTF8.GetBytes($"{user}|{expires.ToString(CultureInfo.InvariantCulture)}");
        return $"{Base64Url.EncodeToString(body)}.{Base64Url.EncodeToString(HMACSHA256.HashData(_key, body))}";
    }

    /// <summary>The user the token names, or null when it is forged, malformed or expired.</summary>
    public string? Validate(string? token)
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
            || timeProvider.GetUtcNow().ToUnixTimeSeconds() > expires)
        {
            return null;
        }

        return text[..separator];
    }
}
