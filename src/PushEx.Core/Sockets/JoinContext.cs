using System.Text.Json;

namespace PushEx.Sockets;

/// <summary>What <see cref="ISocketHandler.JoinAsync"/> knows about a join.</summary>
public sealed class JoinContext
{
    /// <summary>Creates a context; the socket does this for every <c>phx_join</c>.</summary>
    public JoinContext(string topic, JsonElement parameters, IReadOnlyDictionary<string, object?> assigns, string? socketId)
    {
        Topic = topic;
        Params = parameters;
        Assigns = assigns;
        SocketId = socketId;
    }

    /// <summary>The topic the client asks to join.</summary>
    public string Topic { get; }

    /// <summary>The join payload (the channel params; pushex.js always sends <c>{}</c>).</summary>
    public JsonElement Params { get; }

    /// <summary>The socket's assigns, as set by <see cref="ISocketHandler.ConnectAsync"/>.</summary>
    public IReadOnlyDictionary<string, object?> Assigns { get; }

    /// <summary>The socket's id, as returned by <see cref="ISocketHandler.GetSocketId"/>.</summary>
    public string? SocketId { get; }
}
