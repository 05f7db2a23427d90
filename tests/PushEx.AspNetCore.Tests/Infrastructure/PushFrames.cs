using System.Text.RegularExpressions;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A push on a topic with history carries its place in it (<c>"offset":17,"epoch":"…"</c>) after its data and event;
/// tests about something else compare the rest of the frame, exactly.
/// </summary>
public static partial class PushFrames
{
    /// <summary>The frame with its <c>"offset"</c> and <c>"epoch"</c> removed; any other frame unchanged.</summary>
    public static string WithoutPosition(string frame) => Position().Replace(frame, string.Empty);

    /// <summary>The offset a push frame carries.</summary>
    public static long OffsetOf(string frame) => long.Parse(Position().Match(frame).Groups["offset"].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex("""(?:,"offset":(?<offset>\d+),"epoch":"[^"]*"|,"epoch":"[^"]*","offset":(?<offset>\d+))""")]
    private static partial Regex Position();
}
