using System.Globalization;

namespace PushEx.Protocol;

/// <summary>
/// Chooses the serializer from the <c>vsn</c> query parameter (PROTOCOL.md §1.3): missing means 1.0.0;
/// the value must be a full MAJOR.MINOR.PATCH version; 1.0.x speaks V1, 2.0.x speaks V2 (Elixir's
/// <c>~&gt; 1.0.0</c> and <c>~&gt; 2.0.0</c>); anything else is refused.
/// </summary>
internal static class VsnNegotiation
{
    /// <summary>Returns the serializer for <paramref name="vsn"/>, or null when the connection must be refused.</summary>
    /// <param name="vsn">The query value, or null when the parameter is absent.</param>
    public static PhoenixSerializer? Negotiate(string? vsn)
    {
        if (vsn is null)
        {
            return V1JsonSerializer.Instance;
        }

        if (!TryParse(vsn, out var version))
        {
            return null;
        }

        // A pre-release of X.Y.0 ranks below X.Y.0, so "~> X.Y.0" does not take it (2.0.0-rc.1 no, 2.0.1-rc yes).
        if (version.Patch == 0 && version.IsPreRelease)
        {
            return null;
        }

        return (version.Major, version.Minor) switch
        {
            (1, 0) => V1JsonSerializer.Instance,
            (2, 0) => V2JsonSerializer.Instance,
            _ => null,
        };
    }

    // Semver: MAJOR.MINOR.PATCH, then an optional -pre-release and +build, as Elixir's Version.parse accepts.
    private static bool TryParse(string value, out (int Major, int Minor, int Patch, bool IsPreRelease) version)
    {
        version = default;
        var end = value.AsSpan().IndexOfAny('-', '+');
        var core = end < 0 ? value.AsSpan() : value.AsSpan(0, end);
        Span<Range> parts = stackalloc Range[4];
        if (core.Split(parts, '.') != 3
            || !TryParsePart(core[parts[0]], out var major)
            || !TryParsePart(core[parts[1]], out var minor)
            || !TryParsePart(core[parts[2]], out var patch))
        {
            return false;
        }

        version = (major, minor, patch, end >= 0 && value[end] == '-');
        return true;
    }

    private static bool TryParsePart(ReadOnlySpan<char> part, out int number)
    {
        number = 0;
        if (part.IsEmpty || (part.Length > 1 && part[0] == '0'))
        {
            return false;
        }

        foreach (var c in part)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }
}
