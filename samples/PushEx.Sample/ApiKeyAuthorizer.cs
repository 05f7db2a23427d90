using System.Security.Cryptography;
using System.Text;
using PushEx.AspNetCore.Api;

namespace PushEx.Sample;

/// <summary>The sample's Controller behaviour: <c>Authorization: Bearer {Sample:ApiKey}</c> (development default <c>dev-api-key</c>).</summary>
public sealed class ApiKeyAuthorizer(IConfiguration configuration) : IPushApiAuthorizer
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes("Bearer " + (configuration["Sample:ApiKey"] ?? "dev-api-key"));

    public ValueTask<PushApiAuthorization> AuthorizeAsync(PushApiAuthorizationContext context, CancellationToken cancellationToken)
    {
        var presented = Encoding.UTF8.GetBytes(context.HttpContext.Request.Headers.Authorization.ToString());
        return ValueTask.FromResult(CryptographicOperations.FixedTimeEquals(presented, _expected)
            ? PushApiAuthorization.Allow()
            : PushApiAuthorization.Forbid());
    }
}
