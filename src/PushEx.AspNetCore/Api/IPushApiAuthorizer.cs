namespace PushEx.AspNetCore.Api;

/// <summary>
/// The original's Controller behaviour: decides whether a <c>POST /api/push</c> call may push. It runs before the
/// request's parameters are validated, so bad credentials are answered 403 even when the parameters are also wrong.
/// Register one with <c>AddPushEx().AddApiAuthorizer&lt;T&gt;()</c>; it is a singleton.
/// </summary>
public interface IPushApiAuthorizer
{
    /// <summary>Authorizes one API call.</summary>
    /// <returns>
    /// <see cref="PushApiAuthorization.Allow(int)"/> to go on (optionally with another success status, or other parameters),
    /// <see cref="PushApiAuthorization.Forbid"/> for 403 <c>{"error":"Access forbidden"}</c>, or
    /// <see cref="PushApiAuthorization.Handled"/> when the authorizer wrote the response itself.
    /// </returns>
    ValueTask<PushApiAuthorization> AuthorizeAsync(PushApiAuthorizationContext context, CancellationToken cancellationToken);
}
