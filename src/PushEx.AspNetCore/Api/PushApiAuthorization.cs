using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace PushEx.AspNetCore.Api;

/// <summary>The answer of <see cref="IPushApiAuthorizer.AuthorizeAsync"/>.</summary>
public sealed class PushApiAuthorization
{
    private static readonly PushApiAuthorization Forbidden = new(PushApiAuthorizationKind.Forbid, 0, null);
    private static readonly PushApiAuthorization AlreadyHandled = new(PushApiAuthorizationKind.Handled, 0, null);
    private static readonly PushApiAuthorization AllowedOk = new(PushApiAuthorizationKind.Allow, StatusCodes.Status200OK, null);

    private PushApiAuthorization(PushApiAuthorizationKind kind, int statusCode, JsonElement? parameters)
    {
        Kind = kind;
        StatusCode = statusCode;
        Params = parameters;
    }

    internal PushApiAuthorizationKind Kind { get; }

    internal int StatusCode { get; }

    internal JsonElement? Params { get; }

    /// <summary>The call goes on; a success is answered with <paramref name="statusCode"/> (default 200; 202 is common).</summary>
    public static PushApiAuthorization Allow(int statusCode = StatusCodes.Status200OK) =>
        statusCode == StatusCodes.Status200OK ? AllowedOk : new(PushApiAuthorizationKind.Allow, ValidateSuccess(statusCode), null);

    /// <summary>The call goes on with <paramref name="parameters"/> in place of the request's body (the original's <c>{:ok, conn, params}</c>).</summary>
    public static PushApiAuthorization Allow(JsonElement parameters, int statusCode = StatusCodes.Status200OK) =>
        new(PushApiAuthorizationKind.Allow, ValidateSuccess(statusCode), parameters.Clone());

    /// <summary>The call is refused with 403 <c>{"error":"Access forbidden"}</c>.</summary>
    public static PushApiAuthorization Forbid() => Forbidden;

    /// <summary>The authorizer has written the response itself; nothing is pushed.</summary>
    public static PushApiAuthorization Handled() => AlreadyHandled;

    private static int ValidateSuccess(int statusCode) =>
        statusCode is >= 200 and < 300 ? statusCode : throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "A successful push is answered with a 2xx status.");
}
