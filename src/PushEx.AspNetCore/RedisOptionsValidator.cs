using Microsoft.Extensions.Options;
using PushEx.PubSub.Redis;

namespace PushEx.AspNetCore;

/// <summary>Refuses Redis settings that cannot work, when the host starts.</summary>
internal sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        var failures = new List<string>();
        if (options.Configuration is null && options.ConnectionFactory is null)
        {
            failures.Add("The Redis backplane needs a configuration (AddRedis(\"host:port\")) or a ConnectionFactory.");
        }

        if (options.ChannelPrefix is null)
        {
            failures.Add("RedisOptions.ChannelPrefix must not be null (use \"\" for no prefix).");
        }

        if (options.PublishRetryTimeout < TimeSpan.Zero || options.UnsubscribeDelay < TimeSpan.Zero)
        {
            failures.Add("RedisOptions.PublishRetryTimeout and UnsubscribeDelay must not be negative.");
        }

        if (!Enum.IsDefined(options.PubSubMode))
        {
            failures.Add($"RedisOptions.PubSubMode {options.PubSubMode} is not one of Auto, Standalone, Sharded.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
