using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace PushEx.AspNetCore.Api;

/// <summary>What an <see cref="IPushApiAuthorizer"/> sees of an API call.</summary>
public sealed class PushApiAuthorizationContext
{
    /// <summary>Creates a context; the push API does this for every call.</summary>
    public PushApiAuthorizationContext(HttpContext httpContext, JsonElement parameters)
    {
        HttpContext = httpContext;
        Params = parameters;
    }

    /// <summary>The request (headers, user, connection); the authorizer may write the response and return <see cref="PushApiAuthorization.Handled"/>.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The parsed JSON body, not validated yet (normally <c>{"channel":…,"data":…,"event":…}</c>).</summary>
    public JsonElement Params { get; }
}
