using System.Text.Json;
using Microsoft.Extensions.Primitives;
using PushEx.Sockets;

namespace PushEx.Tests.Sockets;

public sealed class SocketConnectContextTests
{
    [Fact]
    public void GetParam_StringParameter_Value()
    {
        var context = Create("""{"token":"abc","vsn":"2.0.0"}""");

        Assert.Equal("abc", context.GetParam("token"));
        Assert.Equal("2.0.0", context.GetParam("vsn"));
    }

    [Fact]
    public void GetParam_MissingOrNotAString_Null()
    {
        var context = Create("""{"x":{"y":"1"},"a":["1"]}""");

        Assert.Null(context.GetParam("missing"));
        Assert.Null(context.GetParam("x"));
        Assert.Null(context.GetParam("a"));
        Assert.Null(context.GetParam("Token"));
    }

    [Fact]
    public void GetParam_ParamsNotAnObject_Null()
    {
        Assert.Null(new SocketConnectContext(default, null, new Dictionary<string, StringValues>(), null).GetParam("token"));
    }

    [Fact]
    public void Assigns_StartEmptyAndCaseSensitive()
    {
        var context = Create("{}");
        context.Assigns["user"] = "u1";

        Assert.False(context.Assigns.ContainsKey("User"));
        Assert.Equal("u1", context.Assigns["user"]);
    }

    private static SocketConnectContext Create(string json) =>
        new(JsonDocument.Parse(json).RootElement.Clone(), null, new Dictionary<string, StringValues>(), null);
}
