using System.Text.Json;

namespace PushEx.Pipeline;

/// <summary>
/// The in-process API (the original's <c>PushEx.push/1</c>): push to a channel's subscribers from the app's own
/// code, and disconnect a user's sockets. Resolve it from dependency injection.
/// </summary>
public interface IPushPublisher
{
    /// <summary>
    /// Hands a push to the pipeline without waiting. Returns a refusal instead of dropping anything:
    /// <see cref="PublishResult.BufferFull"/> when the pipeline is full, <see cref="PublishResult.BackplaneUnavailable"/>
    /// while Redis is unreachable, <see cref="PublishResult.ShuttingDown"/> once the node's drain has closed the pipeline.
    /// </summary>
    /// <param name="channel">The topic.</param>
    /// <param name="eventName">The event name the client's bindings see.</param>
    /// <param name="data">The data, any JSON value.</param>
    /// <exception cref="ArgumentException">
    /// The push is larger than <see cref="PushExOptions.MaxPushBytes"/> (its <c>"msg"</c> payload
    /// <c>{"data":…,"event":…}</c>, 256 KiB by default); nothing is queued.
    /// </exception>
    PublishResult TryPublish(string channel, string eventName, JsonElement data);

    /// <summary>As <see cref="TryPublish(string, string, JsonElement)"/>, with data given as UTF-8 JSON (validated here).</summary>
    /// <exception cref="ArgumentException">
    /// <paramref name="utf8JsonData"/> is not one valid JSON value, or the push is larger than
    /// <see cref="PushExOptions.MaxPushBytes"/>; nothing is queued.
    /// </exception>
    PublishResult TryPublish(string channel, string eventName, ReadOnlyMemory<byte> utf8JsonData);

    /// <summary>
    /// Closes every socket whose socket id (<c>ISocketHandler.GetSocketId</c>) is <paramref name="socketId"/>, with
    /// code 1001 so the clients reconnect (and must pass <c>ConnectAsync</c> again).
    /// </summary>
    /// <returns>How many sockets this node closed.</returns>
    ValueTask<int> DisconnectSocketsAsync(string socketId, CancellationToken cancellationToken = default);
}
