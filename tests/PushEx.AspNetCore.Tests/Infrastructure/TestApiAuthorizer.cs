using System.Text.Json;
using Microsoft.AspNetCore.Http;
using PushEx.AspNetCore.Api;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// An API authorizer with fixed rules, after the original's controller tests: <c>Bearer test-key</c> is allowed,
/// <c>Bearer accepted</c> is allowed with 202, <c>Bearer handled</c> writes its own 400 <c>resp</c>,
/// <c>Bearer modify</c> replaces the parameters (channel <c>modified</c>) and answers 202, <c>Bearer throw</c> throws;
/// anything else is forbidden.
/// </summary>
public sealed class TestApiAuthorizer : IPushApiAuthorizer
{
    public const string Key = "test-key";

    public async ValueTask<PushApiAuthorization> AuthorizeAsync(PushApiAuthorizationContext context, CancellationToken cancellationToken)
    {
        switch (context.HttpContext.Request.Headers.Authorization.ToString())
        {
            case "Bearer " + Key:
                return PushApiAuthorization.Allow();
            case "Bearer accepted":
                return PushApiAuthorization.Allow(StatusCodes.Status202Accepted);
            case "Bearer handled":
                context.HttpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.HttpContext.Response.WriteAsync("resp", cancellationToken);
                return PushApiAuthorization.Handled();
            case "Bearer throw":
                throw new InvalidOperationException("authorizer exploded");
            case "Bearer modify":
                using (var replacement = JsonDocument.Parse("""{"channel":"modified","data":"d","event":"e"}"""))
                {
                    return PushApiAuthorization.Allow(replacement.RootElement, StatusCodes.Status202Accepted);
                }

            default:
                return PushApiAuthorization.Forbid();
        }
    }
}
