using System.Text;

namespace PushEx.AspNetCore.Api;

/// <summary>The push API's error bodies; the ones the original has are byte-for-byte the original's.</summary>
internal static class ApiErrors
{
    public static readonly byte[] Forbidden = """{"error":"Access forbidden"}"""u8.ToArray();
    public static readonly byte[] InvalidArguments = """{"error":"Invalid push arguments: channel, data, event are required."}"""u8.ToArray();
    public static readonly byte[] BadRequest = """{"errors":{"detail":"Bad Request"}}"""u8.ToArray();
    public static readonly byte[] InternalServerError = """{"errors":{"detail":"Internal Server Error"}}"""u8.ToArray();
    public static readonly byte[] NotAcceptable = """{"errors":{"detail":"Not Acceptable"}}"""u8.ToArray();
    public static readonly byte[] MethodNotAllowed = """{"error":"Method not allowed: use POST."}"""u8.ToArray();
    public static readonly byte[] UnsupportedMediaType = """{"error":"Unsupported media type: send application/json."}"""u8.ToArray();
    public static readonly byte[] PayloadTooLarge = """{"error":"Request body too large (PushEx:MaxApiBodyBytes)."}"""u8.ToArray();
    public static readonly byte[] BackplaneUnavailable = """{"error":"Push backplane (Redis) unavailable; retry later."}"""u8.ToArray();
    public static readonly byte[] BufferFull = """{"error":"Push buffer full; retry later."}"""u8.ToArray();
    public static readonly byte[] ShuttingDown = """{"error":"Node shutting down; retry on another node."}"""u8.ToArray();

    /// <summary>Names the limit and its value, never the caller's channel; built once per endpoint.</summary>
    public static byte[] ChannelTooLong(int maxTopicLength) =>
        Encoding.UTF8.GetBytes($$"""{"error":"Channel too long: each channel must fit in PushEx:MaxTopicLength ({{maxTopicLength}} bytes)."}""");

    /// <summary>Names the limit and its value; built once per endpoint.</summary>
    public static byte[] BodyTooDeep(int maxApiBodyDepth) =>
        Encoding.UTF8.GetBytes($$"""{"error":"Body nested too deeply: arrays and objects may nest at most PushEx:MaxApiBodyDepth ({{maxApiBodyDepth}}) levels, the body's own object included."}""");

    /// <summary>Names the limit and its value; built once per endpoint.</summary>
    public static byte[] TooManyChannels(int maxChannelsPerPush) =>
        Encoding.UTF8.GetBytes($$"""{"error":"Too many channels: one push may name at most PushEx:MaxChannelsPerPush ({{maxChannelsPerPush}})."}""");

    /// <summary>Names the limit and its value, never the caller's data; built once per endpoint, as the value is configured.</summary>
    public static byte[] PushTooLarge(int maxPushBytes) =>
        Encoding.UTF8.GetBytes($$"""{"error":"Push too large: data and event must fit in PushEx:MaxPushBytes ({{maxPushBytes}} bytes)."}""");
}
