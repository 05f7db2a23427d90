using System.Buffers;
using System.Text.Json;
using PushEx.Protocol;

namespace PushEx.AspNetCore.Api;

/// <summary>What a push API body is, found in one pass before it is parsed.</summary>
internal enum ApiBodyVerdict
{
    /// <summary>Well-formed JSON, every string Unicode, nested no deeper than the limit.</summary>
    Valid,

    /// <summary>Not JSON, or a string that is not Unicode (<see cref="JsonStrings"/>): answered 400 Bad Request.</summary>
    Malformed,

    /// <summary>Nested deeper than PushEx:MaxApiBodyDepth: answered 400 naming the limit.</summary>
    TooDeep,
}

/// <summary>
/// Checks a push API body in one read, before it is parsed: System.Text.Json's own depth limit throws the same
/// exception as any syntax error, and the caller of a body nested too deeply should be told which limit it broke.
/// </summary>
internal static class ApiBodyCheck
{
    public static ApiBodyVerdict Check(ReadOnlySequence<byte> body, int maxDepth)
    {
        try
        {
            // One level of room over the limit, so the reader never throws for depth itself and the check below says it.
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = maxDepth + 1 });
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    // CurrentDepth counts the containers around this one: the root object is at 0.
                    case JsonTokenType.StartObject or JsonTokenType.StartArray when reader.CurrentDepth >= maxDepth:
                        return ApiBodyVerdict.TooDeep;
                    case JsonTokenType.String or JsonTokenType.PropertyName when !JsonStrings.IsValid(in reader):
                        return ApiBodyVerdict.Malformed;
                }
            }

            return ApiBodyVerdict.Valid;
        }
        catch (JsonException)
        {
            return ApiBodyVerdict.Malformed;
        }
    }
}
