using System.Text.RegularExpressions;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A history's epoch is random, so a test that quotes a msg frame exactly writes it as <c>"epoch":"…"</c> and masks
/// the frame it received the same way; the offset, and everything else, is still compared byte for byte.
/// </summary>
public static partial class Epochs
{
    public const string Masked = "…";

    /// <summary>The frame with the value of every <c>"epoch"</c> key replaced by <see cref="Masked"/>.</summary>
    public static string Mask(string frame) => EpochValue().Replace(frame, $"\"epoch\":\"{Masked}\"");

    [GeneratedRegex("\"epoch\":\"[^\"\\\\]+\"")]
    private static partial Regex EpochValue();
}
