using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushEx.Sockets;

/// <summary>The answer of <see cref="ISocketHandler.JoinAsync"/>.</summary>
public sealed class JoinResult
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    // What JavaScript clients expect: camelCase names, and text as it is rather than \u escapes.
    private static readonly JsonSerializerOptions ReplyJson = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
    private static readonly JoinResult PlainOk = new(true, EmptyObject);

    private JoinResult(bool isOk, byte[] response)
    {
        IsOk = isOk;
        Response = response;
    }

    /// <summary>True when the join succeeded; the socket then receives the topic's pushes.</summary>
    public bool IsOk { get; }

    /// <summary>The <c>response</c> object of the join reply, as UTF-8 JSON.</summary>
    internal ReadOnlyMemory<byte> Response { get; }

    /// <summary>The join succeeds with an empty reply <c>{}</c>.</summary>
    public static JoinResult Ok() => PlainOk;

    /// <summary>
    /// The join succeeds and the client receives <paramref name="reply"/> in the join reply, serialized as JSON with
    /// camelCase property names (a <see cref="JsonElement"/> is written as it is).
    /// </summary>
    public static JoinResult Ok(object reply) => new(true, Serialize(reply));

    /// <summary>The join is refused with <c>{"reason": reason}</c>.</summary>
    public static JoinResult Error(string reason) => new(false, JsonSerializer.SerializeToUtf8Bytes(new ReasonBody(reason), ReplyJson));

    /// <summary>The join is refused and the client receives <paramref name="response"/> in the error reply, serialized as JSON with camelCase property names.</summary>
    public static JoinResult Error(object response) => new(false, Serialize(response));

    private static byte[] Serialize(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), ReplyJson);
    }

    private sealed record ReasonBody([property: JsonPropertyName("reason")] string Reason);
}
