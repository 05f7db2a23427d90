using System.Text.Encodings.Web;
using System.Text.Json;

namespace PushEx.LoadTest.Scenarios;

/// <summary>How results are written as JSON: compact, and readable by a person (no escaping of +, µ or →).</summary>
internal static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonSerializerOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };
}
