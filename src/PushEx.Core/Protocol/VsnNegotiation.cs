using System.Globalization;

namespace PushEx.Protocol;

/// <summary>
/// Chooses the serializer from the <c>vsn</c> query parameter (PROTOCOL.md §1.3): missing means 1.0.0;
/// the value must be a full MAJOR.MINOR.PATCH version; 1.0.x speaks V1, 2.0.x speaks V2; anything else is refused.
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

        if (!TryParseSemVer(vsn, out var major, out var minor))
        {
            return null;
        }

        return (major, minor) switch
        {
            (1, 0) => V1JsonSerializer.Instance,
            (2, 0) => V2JsonSerializer.Instance,
            _ => null,
        };
    }

    // Semver core with an optional pre-release or build suffix, as Elixir's Version.parse accepts.
    private static bool TryParseSemVer(string value, out int major, out int minor)
    {
        major = minor = 0;
        var end = value.AsSpan().IndexOfAny('-', '+');
        var core = end < 0 ? value.AsSpan() : value.AsSpan(0, end);
        Span<Range> parts = stackalloc Range[4];
        if (core.Split(parts, '.') != 3)
        {
            return false;
        }

        return TryParsePart(core[parts[0]], out major)
            && TryParsePart(core[parts[1]], out minor)
            && TryParsePart(core[parts[2]], out _);
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
