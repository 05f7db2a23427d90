using System.Text.Json;
using Microsoft.AspNetCore.SignalR;

namespace SignalR.BenchServer;

/// <summary>
/// <c>POST /api/push</c> with PushEx's body: each group receives the invocation <c>msg(data, event)</c>. SignalR
/// serializes the message once per protocol and writes it to every connection of the group.
/// </summary>
internal static class PushEndpoint
{
    public static async Task<IResult> HandleAsync(HttpRequest request, IHubContext<BenchHub> hub)
    {
        using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("channel", out var channel)
            || !root.TryGetProperty("data", out var data)
            || !root.TryGetProperty("event", out var eventName)
            || eventName.ValueKind != JsonValueKind.String)
        {
            return Results.UnprocessableEntity();
        }

        // Cloned: the invocation may be written after the request's document is disposed.
        var payload = data.Clone();
        var name = eventName.GetString()!;
        List<string> groups = [];
        if (channel.ValueKind == JsonValueKind.String)
        {
            groups.Add(channel.GetString()!);
            await hub.Clients.Group(groups[0]).SendAsync("msg", payload, name);
        }
        else if (channel.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in channel.EnumerateArray())
            {
                groups.Add(item.GetString() ?? string.Empty);
            }

            await hub.Clients.Groups(groups).SendAsync("msg", payload, name);
        }
        else
        {
            return Results.UnprocessableEntity();
        }

        return Results.Json(new { channel = groups, data = payload, @event = name });
    }
}
