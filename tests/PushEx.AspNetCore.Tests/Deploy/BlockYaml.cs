using System.Text;
using System.Text.RegularExpressions;

namespace PushEx.AspNetCore.Tests.Deploy;

/// <summary>
/// Reads the YAML subset the Kubernetes templates are written in, into dictionaries, lists and strings: block mappings
/// and sequences, <c>#</c> comments, <c>---</c> between documents, plain and quoted scalars, and flow sequences of
/// scalars (<c>["sleep", "5"]</c>). Anything else (flow mappings, block scalars, anchors, tags) is refused with the line,
/// so a template that outgrows the subset fails loudly instead of being misread; a YAML library would then be the fix.
/// </summary>
public static partial class BlockYaml
{
    /// <summary>Every document of <paramref name="text"/>; <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyList<Dictionary<string, object?>> ReadDocuments(string text, string source)
    {
        var documents = new List<Dictionary<string, object?>>();
        var lines = new List<Line>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var content = StripComment(raw.TrimEnd('\r')).TrimEnd();
            if (content == "---")
            {
                AddDocument(documents, lines, source);
                lines = [];
                continue;
            }

            if (content.Trim().Length == 0)
            {
                continue;
            }

            var indent = content.Length - content.TrimStart(' ').Length;
            if (content[indent] == '\t')
            {
                throw Refuse(source, number, "a tab in the indentation");
            }

            lines.Add(new Line(number, indent, content[indent..]));
        }

        AddDocument(documents, lines, source);
        return documents;
    }

    private static void AddDocument(List<Dictionary<string, object?>> documents, List<Line> lines, string source)
    {
        if (lines.Count == 0)
        {
            return;
        }

        var reader = new Reader(lines, source);
        if (reader.Parse() is not Dictionary<string, object?> document)
        {
            throw Refuse(source, lines[0].Number, "a document that is not a mapping");
        }

        documents.Add(document);
    }

    private static string StripComment(string line)
    {
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || line[i - 1] == ' '))
            {
                return line[..i];
            }
        }

        return line;
    }

    private static InvalidDataException Refuse(string source, int line, string what) =>
        new($"{source}:{line}: {what} is outside the YAML subset BlockYaml reads (see its summary).");

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9_.\-/]+):(?:\s+(?<value>.*))?$")]
    private static partial Regex KeyValue();

    private sealed record Line(int Number, int Indent, string Content);

    private sealed class Reader(List<Line> lines, string source)
    {
        private int _next;

        public object? Parse()
        {
            var value = ParseBlock(lines[0].Indent);
            if (_next < lines.Count)
            {
                throw Refuse(source, lines[_next].Number, "a line indented less than its document");
            }

            return value;
        }

        private object? ParseBlock(int indent) =>
            IsSequenceItem(lines[_next].Content) ? ParseSequence(indent) : ParseMapping(indent);

        private Dictionary<string, object?> ParseMapping(int indent)
        {
            var mapping = new Dictionary<string, object?>(StringComparer.Ordinal);
            while (_next < lines.Count && lines[_next].Indent == indent && !IsSequenceItem(lines[_next].Content))
            {
                var line = lines[_next];
                var match = KeyValue().Match(line.Content);
                if (!match.Success)
                {
                    throw Refuse(source, line.Number, $"'{line.Content}'");
                }

                _next++;
                var key = match.Groups["key"].Value;
                if (mapping.ContainsKey(key))
                {
                    throw Refuse(source, line.Number, $"a second '{key}' key");
                }

                var value = match.Groups["value"].Value;
                if (value.Length > 0)
                {
                    mapping[key] = ParseScalar(value, line.Number);
                }
                else if (_next < lines.Count && lines[_next].Indent > indent)
                {
                    mapping[key] = ParseBlock(lines[_next].Indent);
                }
                else if (_next < lines.Count && lines[_next].Indent == indent && IsSequenceItem(lines[_next].Content))
                {
                    // A sequence may sit at its key's own indentation.
                    mapping[key] = ParseSequence(indent);
                }
                else
                {
                    mapping[key] = null;
                }
            }

            if (_next < lines.Count && lines[_next].Indent > indent)
            {
                throw Refuse(source, lines[_next].Number, "an unexpected indentation");
            }

            return mapping;
        }

        private List<object?> ParseSequence(int indent)
        {
            var sequence = new List<object?>();
            while (_next < lines.Count && lines[_next].Indent == indent && IsSequenceItem(lines[_next].Content))
            {
                var line = lines[_next];
                var rest = line.Content[1..].TrimStart(' ');
                if (rest.Length == 0)
                {
                    _next++;
                    sequence.Add(_next < lines.Count && lines[_next].Indent > indent ? ParseBlock(lines[_next].Indent) : null);
                }
                else if (KeyValue().IsMatch(rest) && !rest.StartsWith('"') && !rest.StartsWith('\''))
                {
                    // "- key: value" opens a mapping whose keys line up with "key".
                    lines[_next] = line with { Indent = indent + line.Content.Length - rest.Length, Content = rest };
                    sequence.Add(ParseMapping(lines[_next].Indent));
                }
                else
                {
                    _next++;
                    sequence.Add(ParseScalar(rest, line.Number));
                }
            }

            return sequence;
        }

        private object ParseScalar(string text, int number)
        {
            text = text.Trim();
            if (text.StartsWith('[') && text.EndsWith(']'))
            {
                return SplitFlow(text[1..^1], number).Select(item => (object?)ParseScalar(item, number)).ToList();
            }

            if (text[0] is '{' or '|' or '>' or '&' or '*' or '!' or '[')
            {
                throw Refuse(source, number, $"'{text}'");
            }

            if (text[0] is '"' or '\'')
            {
                return Unquote(text, number);
            }

            return text;
        }

        private string Unquote(string text, int number)
        {
            var quote = text[0];
            if (text.Length < 2 || text[^1] != quote)
            {
                throw Refuse(source, number, $"the unterminated string {text}");
            }

            var inner = text[1..^1];
            if (quote == '\'')
            {
                return inner.Replace("''", "'", StringComparison.Ordinal);
            }

            var result = new StringBuilder();
            for (var i = 0; i < inner.Length; i++)
            {
                if (inner[i] != '\\')
                {
                    result.Append(inner[i]);
                    continue;
                }

                if (++i == inner.Length || inner[i] is not ('"' or '\\'))
                {
                    throw Refuse(source, number, $"an escape other than \\\" and \\\\ in {text}");
                }

                result.Append(inner[i]);
            }

            return result.ToString();
        }

        private List<string> SplitFlow(string text, int number)
        {
            var items = new List<string>();
            var start = 0;
            char? quote = null;
            for (var i = 0; i <= text.Length; i++)
            {
                if (i < text.Length && quote is not null)
                {
                    quote = text[i] == quote ? null : quote;
                }
                else if (i < text.Length && text[i] is '"' or '\'')
                {
                    quote = text[i];
                }
                else if (i == text.Length || text[i] == ',')
                {
                    var item = text[start..i].Trim();
                    if (item.Length == 0)
                    {
                        if (i == text.Length && items.Count == 0)
                        {
                            break;
                        }

                        throw Refuse(source, number, $"an empty item in [{text}]");
                    }

                    items.Add(item);
                    start = i + 1;
                }
            }

            return items;
        }

        private static bool IsSequenceItem(string content) => content == "-" || content.StartsWith("- ", StringComparison.Ordinal);
    }
}
