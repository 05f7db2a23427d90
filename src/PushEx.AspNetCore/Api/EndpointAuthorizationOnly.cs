namespace PushEx.AspNetCore.Api;

/// <summary>
/// Registered by <c>AllowApiWithEndpointAuthorizationOnly()</c>: the app has said that ASP.NET Core authorization on
/// the mapped endpoint (for example <c>MapPushEx().RequireAuthorization(...)</c>) alone guards the push API.
/// </summary>
internal sealed class EndpointAuthorizationOnly : IPushApiAuthorizer
{
    public ValueTask<PushApiAuthorization> AuthorizeAsync(PushApiAuthorizationContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(PushApiAuthorization.Allow());
}
