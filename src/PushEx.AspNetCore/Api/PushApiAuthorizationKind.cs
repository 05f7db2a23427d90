namespace PushEx.AspNetCore.Api;

internal enum PushApiAuthorizationKind
{
    Allow,
    Forbid,
    Handled,
}
