using System.Globalization;

namespace PushEx.LoadTest.Cli;

/// <summary>
/// <c>--name value</c> options after a command word. Every option read is remembered, so a misspelt one is reported
/// instead of silently ignored.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private CommandLine(string command) => Command = command;

    public string Command { get; }

    public static CommandLine Parse(string[] args)
    {
        var line = new CommandLine(args.Length > 0 ? args[0] : "help");
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"Unexpected argument '{arg}'; options are --name value.");
            }

            var name = arg[2..];
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                line._options[name[..equals]] = name[(equals + 1)..];
            }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                line._options[name] = args[++i];
            }
            else
            {
                line._options[name] = "true";
            }
        }

        return line;
    }

    public string String(string name, string defaultValue) => Get(name) ?? defaultValue;

    public string? OptionalString(string name) => Get(name);

    public int Int(string name, int defaultValue) =>
        Get(name) is { } value ? int.Parse(value.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture) : defaultValue;

    public double Double(string name, double defaultValue) =>
        Get(name) is { } value ? double.Parse(value, CultureInfo.InvariantCulture) : defaultValue;

    public bool Flag(string name) => Get(name) is { } value && value != "false";

    public TimeSpan Seconds(string name, double defaultSeconds) => TimeSpan.FromSeconds(Double(name, defaultSeconds));

    /// <summary>A duration as <c>90</c> or <c>90s</c> (seconds), <c>15m</c> (minutes) or <c>1h</c> (hours).</summary>
    public TimeSpan Duration(string name, TimeSpan defaultValue)
    {
        if (Get(name) is not { Length: > 0 } value)
        {
            return defaultValue;
        }

        var (number, unit) = char.IsLetter(value[^1]) ? (value[..^1], value[^1]) : (value, 's');
        var amount = double.Parse(number, CultureInfo.InvariantCulture);
        return unit switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            _ => throw new UsageException($"--{name} {value}: a duration is a number with s, m or h."),
        };
    }

    public int[] Ints(string name, int[] defaultValue) =>
        Get(name) is { } value
            ? [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(item => int.Parse(item, CultureInfo.InvariantCulture))]
            : defaultValue;

    public string[] Strings(string name, string[] defaultValue) =>
        Get(name) is { } value ? value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : defaultValue;

    /// <summary>Throws when an option was given that the command never read.</summary>
    public void EnsureAllRead()
    {
        var unknown = _options.Keys.Where(name => !_read.Contains(name)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"Unknown option(s) for '{Command}': {string.Join(", ", unknown.Select(name => "--" + name))}.");
        }
    }

    private string? Get(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var value) ? value : null;
    }
}
