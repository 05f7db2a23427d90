using System.Text.Json;

namespace PushEx.AspNetCore.Api;

/// <summary>A valid push API call: channels de-duplicated in first-seen order, the event, and the data (any JSON value, null included).</summary>
internal sealed class PushApiRequest
{
    private PushApiRequest(List<string> channels, string @event, JsonElement data)
    {
        Channels = channels;
        Event = @event;
        Data = data;
    }

    public IReadOnlyList<string> Channels { get; }

    public string Event { get; }

    public JsonElement Data { get; }

    /// <summary>
    /// Reads <c>{"channel": string | [string…], "data": any, "event": string}</c>; null when a key is missing or has
    /// the wrong type (answered 422).
    /// </summary>
    public static PushApiRequest? TryRead(JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Object
            || !parameters.TryGetProperty("channel", out var channel)
            || !parameters.TryGetProperty("data", out var data)
            || !parameters.TryGetProperty("event", out var @event)
            || @event.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var channels = new List<string>();
        if (channel.ValueKind == JsonValueKind.String)
        {
            channels.Add(channel.GetString()!);
        }
        else if (channel.ValueKind == JsonValueKind.Array)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in channel.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    return null;
                }

                var name = item.GetString()!;
                if (seen.Add(name))
                {
                    channels.Add(name);
                }
            }
        }
        else
        {
            return null;
        }

        return new PushApiRequest(channels, @event.GetString()!, data);
    }
}
