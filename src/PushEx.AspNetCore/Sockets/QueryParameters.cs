using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace PushEx.AspNetCore.Sockets;

/// <summary>
/// Turns a query string into the JSON object the socket handler sees, with Plug's conventions (PROTOCOL.md §1.2):
/// <c>a[b]=c</c> nests as <c>{"a":{"b":"c"}}</c>, <c>a[]=x</c> collects into a list, and a repeated key keeps its
/// last value.
/// </summary>
internal static class QueryParameters
{
    private const int MaxDepth = 16;

    public static JsonElement Parse(string? queryString)
    {
        var root = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var pair in new QueryStringEnumerable(queryString))
        {
            var key = pair.DecodeName().ToString();
            var value = pair.DecodeValue().ToString();
            if (key.Length > 0)
            {
                Assign(root, key, value);
            }
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, root);
        }

        return JsonSerializer.Deserialize<JsonElement>(buffer.WrittenSpan);
    }

    private static void Assign(Dictionary<string, object> root, string key, string value)
    {
        var open = key.IndexOf('[', StringComparison.Ordinal);
        if (open <= 0 || !key.EndsWith(']'))
        {
            root[key] = value;
            return;
        }

        // "a[b][]" → "a", then segments "b" and "" (append).
        var segments = new List<string> { key[..open] };
        var rest = key.AsSpan(open);
        while (rest.Length > 0 && rest[0] == '[' && segments.Count <= MaxDepth)
        {
            var close = rest.IndexOf(']');
            if (close < 0)
            {
                root[key] = value;
                return;
            }

            segments.Add(rest[1..close].ToString());
            rest = rest[(close + 1)..];
        }

        if (rest.Length > 0)
        {
            root[key] = value;
            return;
        }

        object container = root;
        for (var i = 0; i < segments.Count; i++)
        {
            var isLast = i == segments.Count - 1;
            var nextIsList = !isLast && segments[i + 1].Length == 0;
            container = Step(container, segments[i], isLast ? value : null, nextIsList);
        }
    }

    // Descends one segment, creating the map or list it needs; stores the value at the last segment.
    private static object Step(object container, string segment, string? value, bool nextIsList)
    {
        object Create() => value is not null ? value : nextIsList ? new List<object>() : new Dictionary<string, object>(StringComparer.Ordinal);

        if (container is List<object> list)
        {
            if (value is not null)
            {
                list.Add(value);
                return list;
            }

            var created = Create();
            list.Add(created);
            return created;
        }

        var map = (Dictionary<string, object>)container;
        if (value is not null)
        {
            map[segment] = value;
            return map;
        }

        if (map.TryGetValue(segment, out var existing) && (nextIsList ? existing is List<object> : existing is Dictionary<string, object>))
        {
            return existing;
        }

        var child = Create();
        map[segment] = child;
        return child;
    }

    private static void Write(Utf8JsonWriter writer, object node)
    {
        switch (node)
        {
            case string text:
                writer.WriteStringValue(text);
                break;
            case List<object> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case Dictionary<string, object> map:
                writer.WriteStartObject();
                foreach (var (name, child) in map)
                {
                    writer.WritePropertyName(name);
                    Write(writer, child);
                }

                writer.WriteEndObject();
                break;
        }
    }
}
