namespace PushEx.AspNetCore.Sockets;

/// <summary>
/// The origin check on the upgrade request (PROTOCOL.md §7.4): with no patterns every origin passes; a request
/// without an <c>Origin</c> header (a native or server client) always passes. A pattern is an origin such as
/// <c>https://app.example.com</c>; <c>https://*.example.com</c> matches the apex and every subdomain.
/// </summary>
internal sealed class OriginPolicy
{
    private readonly OriginPattern[] _patterns;

    public OriginPolicy(IEnumerable<string> patterns) =>
        _patterns = [.. patterns.Select(pattern => OriginPattern.TryParse(pattern, out var parsed) ? parsed : throw new ArgumentException($"Invalid origin pattern '{pattern}'.", nameof(patterns)))];

    public static bool IsValidPattern(string pattern) => OriginPattern.TryParse(pattern, out _);

    public bool IsAllowed(string? origin)
    {
        if (_patterns.Length == 0 || string.IsNullOrEmpty(origin))
        {
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri))
        {
            return false;
        }

        foreach (var pattern in _patterns)
        {
            if (pattern.Matches(uri))
            {
                return true;
            }
        }

        return false;
    }

    private readonly record struct OriginPattern(string Scheme, string Host, int Port, bool IncludesSubdomains)
    {
        private const string WildcardPrefix = "*.";

        public static bool TryParse(string pattern, out OriginPattern parsed)
        {
            parsed = default;
            var schemeEnd = pattern.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd <= 0)
            {
                return false;
            }

            var hostStart = schemeEnd + 3;
            var wildcard = string.CompareOrdinal(pattern, hostStart, WildcardPrefix, 0, WildcardPrefix.Length) == 0;
            var candidate = wildcard ? pattern.Remove(hostStart, WildcardPrefix.Length) : pattern;
            if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query))
            {
                return false;
            }

            parsed = new OriginPattern(uri.Scheme, uri.IdnHost, uri.Port, wildcard);
            return true;
        }

        public bool Matches(Uri origin) =>
            string.Equals(origin.Scheme, Scheme, StringComparison.OrdinalIgnoreCase)
            && origin.Port == Port
            && (string.Equals(origin.IdnHost, Host, StringComparison.OrdinalIgnoreCase)
                || (IncludesSubdomains && origin.IdnHost.EndsWith("." + Host, StringComparison.OrdinalIgnoreCase)));
    }
}
