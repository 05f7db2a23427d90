using Microsoft.Extensions.Logging;

namespace PushEx.AspNetCore.Api;

internal sealed partial class PushApiEndpoint
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2201, Level = LogLevel.Debug, EventName = "MalformedBody",
            Message = "A push API request had a body that is not valid JSON; answered 400.")]
        public static partial void MalformedBody(ILogger logger);

        [LoggerMessage(EventId = 2202, Level = LogLevel.Error, EventName = "AuthorizerFailed",
            Message = "The push API authorizer threw; the request was answered 500 and nothing was pushed.")]
        public static partial void AuthorizerFailed(ILogger logger, Exception exception);
    }
}
