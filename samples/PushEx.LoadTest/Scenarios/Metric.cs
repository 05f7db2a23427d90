namespace PushEx.LoadTest.Scenarios;

/// <summary>One measured figure: a stable key for JSON, a label for the table, and how to print it.</summary>
internal sealed record Metric(string Key, string Label, double? Value, string Unit, int Decimals)
{
    /// <summary>The value with its unit, or "-" when there is none.</summary>
    public string Format() => Value is { } value && !double.IsNaN(value) ? $"{value.ToString($"N{Decimals}", System.Globalization.CultureInfo.InvariantCulture)} {Unit}".TrimEnd() : "-";
}
