using System.Text.Json;
using System.Text.Unicode;

namespace PushEx.Protocol;

/// <summary>
/// Checks that the strings of client JSON are Unicode. JSON's grammar allows an escaped lone surrogate
/// (<c>"\ud800"</c>), and <see cref="Utf8JsonReader"/> reads over it (and over invalid UTF-8) without complaint; only
/// turning the string into a .NET string fails, with an <see cref="InvalidOperationException"/> that is not a
/// <see cref="JsonException"/>. Client data is checked here first, so it is refused as malformed instead.
/// </summary>
internal static class JsonStrings
{
    /// <summary>
    /// True when the reader's current token, a string or a property name, is valid UTF-8 that unescapes to valid
    /// UTF-16 (no lone surrogate).
    /// </summary>
    public static bool IsValid(ref readonly Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            return Utf8.IsValid(reader.ValueSpan);
        }

        try
        {
            // Only escaped strings (rare in client frames) and strings split across segments get here.
            _ = reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Like <see cref="Utf8JsonReader.TrySkip"/> on a complete input: from the first token of a value to its last,
    /// but false when a string or property name inside it is not valid (<see cref="IsValid"/>).
    /// </summary>
    /// <exception cref="JsonException">The JSON is not well formed.</exception>
    public static bool TrySkipChecked(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is JsonTokenType.String)
        {
            return IsValid(in reader);
        }

        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return true;
        }

        var depth = reader.CurrentDepth;
        while (reader.Read())
        {
            if (reader.TokenType is (JsonTokenType.String or JsonTokenType.PropertyName) && !IsValid(in reader))
            {
                return false;
            }

            if (reader.CurrentDepth == depth && reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                return true;
            }
        }

        return false;
    }
}
